// For demos: presentation mode (F11) and "Keep as baseline".
#include "main_window.h"

#include "distribution_plot.h"
#include "histogram_plot.h"
#include "overlay_runs.h"
#include "percentile_plot.h"
#include "split_plot.h"

#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTime>
#include <QToolBar>
#include <QVBoxLayout>

void MainWindow::buildPresentActions(QMenu* view, QMenu* run) {
    QAction* baseline = run->addAction(tr("&Keep as Baseline"), QKeySequence(tr("Ctrl+B")), this,
                                       &MainWindow::keepAsBaseline);
    baseline->setObjectName(QStringLiteral("baselineAction"));
    baseline->setToolTip(tr("The live run as it is now becomes an overlay to compare against"));
    QAction* present = view->addAction(tr("&Presentation Mode"));
    present->setObjectName(QStringLiteral("presentAction"));
    present->setCheckable(true);
    present->setShortcut(QKeySequence(Qt::Key_F11));
    present->setShortcutContext(Qt::WindowShortcut);
    connect(present, &QAction::toggled, this, &MainWindow::setPresenting);
    addAction(present); // F11 still works with the menu bar hidden
}

void MainWindow::keepAsBaseline() {
    const auto live = m_bridge->history();
    if (live->empty()) {
        statusBar()->showMessage(tr("Nothing measured yet to keep as a baseline"), 4000);
        return;
    }
    auto copy = std::make_shared<le::RunHistory>(*live);
    copy->set_name(
        tr("baseline %1").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))).toStdString());
    m_overlays->add(copy);
    statusBar()->showMessage(tr("Kept as %1").arg(QString::fromStdString(copy->name())), 4000);
}

void MainWindow::setPresenting(bool on) {
    if (on == m_presenting)
        return;
    m_presenting = on;
    if (auto* action = findChild<QAction*>(QStringLiteral("presentAction"));
        action && action->isChecked() != on)
        action->setChecked(on);
    if (!m_presentReadout) {
        m_presentReadout = new QLabel(m_dashboard);
        m_presentReadout->setObjectName(QStringLiteral("presentReadout"));
        m_presentReadout->setAlignment(Qt::AlignCenter);
        static_cast<QVBoxLayout*>(m_dashboard->layout())->insertWidget(0, m_presentReadout);
    }
    QFont big = font();
    if (on) {
        m_statePresenting = saveState();
        for (QDockWidget* dock : findChildren<QDockWidget*>())
            dock->hide();
        for (QToolBar* bar : findChildren<QToolBar*>())
            bar->hide();
        menuBar()->hide();
        statusBar()->hide();
        m_tabs->setCurrentWidget(m_dashboard);
        m_tabs->tabBar()->hide();
        big.setPointSizeF(big.pointSizeF() * 1.6);
        QFont huge = font();
        huge.setPointSizeF(huge.pointSizeF() * 3);
        huge.setBold(true);
        m_presentReadout->setFont(huge);
        m_presentReadout->show();
        updatePresentReadout();
        showFullScreen();
    } else {
        restoreState(m_statePresenting);
        menuBar()->show();
        statusBar()->show();
        m_tabs->tabBar()->show();
        m_presentReadout->hide();
        showNormal();
    }
    for (QWidget* plot : {static_cast<QWidget*>(m_histogram), static_cast<QWidget*>(m_percentiles),
                          static_cast<QWidget*>(m_distribution), static_cast<QWidget*>(m_split)})
        plot->setFont(on ? big : QFont());
    m_dirty = true;
}

void MainWindow::updatePresentReadout() {
    const le::IntervalRecord* r = m_bridge->latest();
    if (!m_presentReadout)
        return;
    if (!r) {
        m_presentReadout->setText(tr("waiting for data…"));
        return;
    }
    const auto micros = [](double us) {
        return us >= 1000 ? tr("%1 ms").arg(us / 1000, 0, 'f', 2) : tr("%1 µs").arg(us, 0, 'f', 1);
    };
    const le::Histogram& window = m_bridge->history()->window();
    const double p50 = window.empty() ? r->p50_us : double(window.value_at_percentile(50)) / 1e3;
    const double p99 = window.empty() ? r->p99_us : double(window.value_at_percentile(99)) / 1e3;
    m_presentReadout->setText(tr("p50 %1    p99 %2    %3 msg/s")
                                  .arg(micros(p50), micros(p99), QString::number(r->achieved_rate, 'f', 0)));
}
