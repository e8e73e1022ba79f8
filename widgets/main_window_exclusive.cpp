// A sweep or an A/B comparison measures alone: live measuring makes way for it and comes back,
// as it was, when it ends; meanwhile the status bar says what runs.
#include "main_window.h"

#include "session_bridge.h"
#include "sweep_result.h"
#include "units.h"

#include <QLabel>
#include <QStatusBar>

#include <algorithm>

void MainWindow::pauseLiveFor(const QString& what, const QString& marker) {
    m_bridge->mark(marker, marker);
    m_bridge->holdClock();
    const auto state = m_bridge->state();
    // A second start while one runs keeps the first answer: live was on before either began.
    m_resumeLive =
        m_resumeLive || state == SessionBridge::State::Running || state == SessionBridge::State::Starting;
    stopMeasuring();
    if (!m_exclusive) {
        m_exclusive = new QLabel(this);
        m_exclusive->setObjectName(QStringLiteral("exclusiveLabel"));
        m_exclusive->setStyleSheet(QStringLiteral("font-weight: bold"));
        statusBar()->insertPermanentWidget(0, m_exclusive);
    }
    m_exclusive->setText(m_resumeLive ? tr("%1 running — live measuring resumes when it ends").arg(what)
                                      : tr("%1 running").arg(what));
    m_exclusive->show();
}

void MainWindow::resumeLive(const QString& marker) {
    m_bridge->mark(marker + QStringLiteral(" end"), tr("%1 end").arg(marker));
    m_bridge->releaseClock();
    if (m_exclusive)
        m_exclusive->hide();
    if (!m_resumeLive)
        return;
    m_resumeLive = false;
    startMeasuring();
}

void MainWindow::markSweepPoint(const le::SweepPointResult& point) {
    const QString rate = point.target_rate == le::kRateInf
                             ? tr("back-to-back")
                             : tr("%1/s").arg(QString::fromStdString(le::format_rate(point.target_rate)));
    m_bridge->mark(QStringLiteral("sweep point"),
                   tr("sweep: %1 %2").arg(QString::fromStdString(point.series()), rate),
                   std::max(0.0, m_bridge->elapsedSeconds() - point.duration_s));
}
