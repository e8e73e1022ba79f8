// The kernel-timestamp split in the window: the peer panel's toggle, the split plot beside the
// percentiles over time, its p50 / p99 view, and the two plots' shared time axis.
#include "main_window.h"

#include "peer_panel.h"
#include "percentile_plot.h"
#include "split_plot.h"

#include <QAction>
#include <QSplitter>
#include <QStatusBar>

void MainWindow::buildSplitView(QSplitter* bottom) {
    bottom->addWidget(m_split);
    m_split->setMinimumSize(320, 220);
    m_split->setVisible(false); // until the toggle is on: the default window stays as it was
    // The curves keep the larger share: their legend of five wraps into fewer lines.
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
}

void MainWindow::connectSplit() {
    connect(m_peer, &PeerPanel::kernelTimestampsChanged, this, [this](bool on) {
        m_split->setVisible(on);
        m_splitP99Action->setVisible(on);
        // A splitter gives a widget shown late more than its stretch: back to 3 : 2.
        auto* bottom = qobject_cast<QSplitter*>(m_split->parentWidget());
        if (on && bottom && bottom->width() > 0)
            bottom->setSizes({bottom->width() * 3 / 5, bottom->width() * 2 / 5});
        m_dirty = true;
        // Like an engine change: a new data path with the split asked for (or not), marked.
        restartDataPath(QStringLiteral("kernel-timestamps=%1").arg(on ? "on" : "off"));
    });
    connect(m_splitP99Action, &QAction::toggled, this, [this](bool p99) {
        m_split->setView(p99 ? SplitPlot::View::P99Lines : SplitPlot::View::P50Stacked);
    });
    // One stretch of time in both: the percentiles choose it (following the newest data), and a
    // drag or zoom in either moves the other, as the user's choice (auto-follow off).
    connect(m_percentiles->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), m_split,
            [this](const QCPRange& r) { m_split->followTime(r.lower, r.upper); });
    connect(m_split->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), m_percentiles,
            [this](const QCPRange& r) {
                if (m_percentiles->xAxis->range() != r) {
                    m_percentiles->xAxis->setRange(r);
                    m_percentiles->replot(QCustomPlot::rpQueuedReplot);
                }
            });
    m_split->followTime(m_percentiles->xAxis->range().lower, m_percentiles->xAxis->range().upper);
    m_split->setTimeWindow(m_percentiles->timeWindow());
}

void MainWindow::updateSplitState() {
    const le::IntervalRecord* r = m_bridge->latest();
    // Records from before the split was asked for say "not asked": nothing to say about it yet.
    const bool known = m_peer->kernelTimestamps() && r && r->split_available.rfind("no: not asked", 0) != 0;
    const QString availability = known ? QString::fromStdString(r->split_available) : QString();
    m_peer->setSplitState(availability);
    // Said once in the status bar where it is read, the split plot's title says it for good.
    if (availability != m_splitShown && availability.startsWith(QLatin1String("no: ")))
        statusBar()->showMessage(tr("Kernel split: %1").arg(availability), 10000);
    m_splitShown = availability;
}
