// The window's one redraw timer (<= 30 Hz): nothing redraws per record. Each tick redraws what its
// cadence says (redraw_cadence.h: the curves over time on every tick with new data, the histogram
// and the distribution at 10 Hz on ticks of their own) and, on every third, the status bar's figures.
#include "main_window.h"

#include "distribution_plot.h"
#include "histogram_plot.h"
#include "idle_drawing.h"
#include "overlay_runs.h"
#include "percentile_plot.h"
#include "split_plot.h"
#include "status_readout.h"

void MainWindow::startRedrawTimer() {
    m_redraw.setInterval(1000 / 30);
    connect(&m_redraw, &QTimer::timeout, this, [this] {
        // The tick only draws: it may run idle (idle_drawing.h), never while starting anything.
        IdleDrawing::setWanted(m_bridge->drawingMayIdle());
        const IdleDrawing::Scope drawing;
        // The figures at 10 Hz: as readable (faster is a blur) for a third of the text work, on the
        // ticks that redraw no shape (RedrawCadence's phase 0).
        if (m_cadence.ticks() % RedrawCadence::kShapeEvery == 0)
            showReadout();
        // Paused, the data still arrives: it is drawn at once when the view resumes.
        const RedrawCadence::Due due = m_cadence.tick(m_dirty && !m_paused);
        if (due.any())
            refreshPlots(due, false);
        if (m_presenting)
            updatePresentReadout();
    });
    m_redraw.start();
}

void MainWindow::showReadout() {
    const auto state = m_bridge->state();
    const QString stopped = state == SessionBridge::State::Lost    ? tr("peer lost")
                            : state == SessionBridge::State::Error ? tr("error")
                                                                   : tr("stopped");
    m_readout->show(m_bridge->history().get(), m_bridge->flowing(), stopped, m_bridge->elapsedSeconds());
}

void MainWindow::refreshPlots(bool force) {
    refreshPlots(RedrawCadence::Due{true, true, true}, force);
    m_cadence.caughtUp();
}

void MainWindow::refreshPlots(const RedrawCadence::Due& due, bool force) {
    const PlotRuns runs{m_bridge->history(), m_overlays->runs(), m_overlays->shifts()};
    if (due.histogram) {
        m_histogram->setRuns(runs);
        m_histogram->refresh(force);
    }
    if (due.curves) {
        m_percentiles->setRuns(runs);
        m_percentiles->refresh(force); // before the split, which takes its time axis
    }
    if (due.distribution) {
        m_distribution->setRuns(runs);
        m_distribution->refresh(force);
    }
    if (due.curves) {
        m_split->setRuns(runs);
        m_split->refresh(force);
        updateSplitState();
        m_dirty = false;
    }
}
