#pragma once

#include "plot_runs.h"

#include <qcustomplot.h>

// RTT histogram of the live run and the overlaid runs: x = RTT on a log axis, y = share of the
// run's samples per bin in percent, so runs of different lengths compare. The live run shows its
// rolling window (the last few intervals) or, with setWholeRun(true), everything since it started;
// overlays always show their whole run. Dashed markers give the live run's p50, p99 and p99.9.
class HistogramPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

    void setRuns(const PlotRuns& runs);
    void setWholeRun(bool wholeRun);
    bool wholeRun() const { return m_wholeRun; }

public slots:
    // Rebuilds the curves from the runs' current histograms. Skipped while the widget is hidden
    // unless `force` (exports), since the window calls this for every plot at up to 30 Hz.
    void refresh(bool force = false);
    // Back to the automatic range after the user dragged or zoomed.
    void resetAxes();

protected:
    void updateLayout() override;

private:
    void rebuildMarkers(const le::Histogram& live);
    void applyRange(double xLower, double xUpper, double yUpper);

    PlotRuns m_runs;
    bool m_wholeRun = false;
    bool m_userRange = false;     // the user dragged or zoomed: refresh() leaves the range alone
    bool m_applyingRange = false; // our own setRange calls are not the user's
    QList<QCPAbstractItem*> m_markers;
};
