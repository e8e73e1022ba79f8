#pragma once

#include "runs_plot.h"

// HdrHistogram-style percentile distribution: x = percentile on a "nines" scale (x = 1/(1 - p), so
// 90%, 99%, 99.9% ... are evenly spaced and the tail gets the room it deserves), y = RTT on a log
// axis. One curve per run: the live run's rolling window or its whole run (setWholeRun()); overlays
// always their whole run.
class DistributionPlot : public HistogramRunsPlot {
    Q_OBJECT
public:
    explicit DistributionPlot(QWidget* parent = nullptr);

protected:
    void redraw() override;
};
