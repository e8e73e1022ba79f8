#pragma once

#include "plot_marker.h"
#include "runs_plot.h"

// RTT histogram of the live run and the overlaid runs: x = RTT on a log axis, y = share of the
// run's samples per bin in percent, so runs of different lengths compare. The live run shows its
// rolling window or its whole run (setWholeRun()); dashed markers give its p50, p99 and p99.9.
class HistogramPlot : public HistogramRunsPlot {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

protected:
    void redraw() override;

private:
    // The percentile markers of the live run, `live` null for none. Markers are kept and moved from
    // one redraw to the next, not made anew: a label keeps its measured text while that stays.
    void updateMarkers(const le::Histogram* live);

    QList<PlotMarker> m_markers;
};
