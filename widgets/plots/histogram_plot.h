#pragma once

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
    void rebuildMarkers(const le::Histogram& live);

    QList<QCPAbstractItem*> m_markers;
};
