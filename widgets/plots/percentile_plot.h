#pragma once

#include "runs_plot.h"

#include <cstddef>

// Percentiles over time: one point per interval record (x = its t_s, y = RTT on a log axis) for the
// live run's p50, p90, p99, p99.9 and max, each overlay's p50 and p99 dashed, and a labelled marker
// at every live parameter change ("rate → 10k"). Intervals without an echo are gaps, not zeros.
//
// Its auto range follows the newest data (the default); the user's first drag or zoom turns it
// off, and resetAxes() or setTimeWindow() turn it back on.
class PercentilePlot : public RunsPlot {
    Q_OBJECT
public:
    explicit PercentilePlot(QWidget* parent = nullptr);

    // Cheap when the runs are the same objects as before: the live run's new intervals are then
    // appended at the next refresh instead of everything being rebuilt.
    void setRuns(const PlotRuns& runs) override;
    // Seconds shown while following; 0 = the whole run. Turns auto range on: choosing a window
    // means wanting to see it.
    void setTimeWindow(double seconds);

protected:
    // Adds what is new since the last call.
    void redraw() override;

private:
    void rebuild();
    void appendLive();
    void addChangeMarker(const le::ParamChange& change);
    void followNewest();

    bool m_rebuild = true;
    const le::RunHistory* m_plottedLive = nullptr;
    std::size_t m_liveCount = 0;        // live intervals already in the graphs
    std::size_t m_overlayIntervals = 0; // overlays' interval count when last plotted
    bool m_bursts = false;              // first/rest curves shown
    std::vector<double (*)(const le::IntervalRecord&)> m_liveGetters; // one per live graph
    int m_liveGraphs = 0; // the first graphs are the live run's, when it has data
    QList<QCPItemStraightLine*> m_changeLines;
    QList<QCPItemText*> m_changeLabels;
    double m_timeWindow = 0;
};
