#pragma once

#include "plot_runs.h"

#include <qcustomplot.h>

// HdrHistogram-style percentile distribution: x = percentile on a "nines" scale (x = 1/(1 - p), so
// 90%, 99%, 99.9% ... are evenly spaced and the tail gets the room it deserves), y = RTT on a log
// axis. One curve per run: the live run's rolling window or, with setWholeRun(true), its whole run;
// overlays always their whole run.
class DistributionPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit DistributionPlot(QWidget* parent = nullptr);

    void setRuns(const PlotRuns& runs);
    void setWholeRun(bool wholeRun);
    bool wholeRun() const { return m_wholeRun; }

public slots:
    // Rebuilds the curves from the runs' current histograms. Skipped while the widget is hidden
    // unless `force` (exports), since the window calls this for every plot at up to 30 Hz.
    void refresh(bool force = false);
    // Back to the automatic range after the user dragged or zoomed.
    void resetAxes();

private:
    void applyRange(double xUpper, double yLower, double yUpper);

    PlotRuns m_runs;
    bool m_wholeRun = false;
    bool m_userRange = false;     // the user dragged or zoomed: refresh() leaves the range alone
    bool m_applyingRange = false; // our own setRange calls are not the user's
};
