#pragma once

#include "plot_runs.h"

#include <qcustomplot.h>

#include <cstddef>

// Percentiles over time: one point per interval record (x = its t_s, y = RTT on a log axis) for the
// live run's p50, p90, p99, p99.9 and max, each overlay's p50 and p99 dashed, and a labelled marker
// at every live parameter change ("rate → 10k"). Intervals without an echo are gaps, not zeros.
//
// The x range follows the newest data while auto-follow is on (the default); the user's first drag
// or zoom turns it off, and resetAxes() or setTimeWindow() turn it back on.
class PercentilePlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit PercentilePlot(QWidget* parent = nullptr);

    // Cheap when the runs are the same objects as before: the live run's new intervals are then
    // appended at the next refresh instead of everything being rebuilt.
    void setRuns(const PlotRuns& runs);
    // Seconds shown while following; 0 = the whole run. Turns auto-follow on: choosing a window
    // means wanting to see it.
    void setTimeWindow(double seconds);
    double timeWindow() const { return m_timeWindow; }
    void setAutoFollow(bool on);
    bool autoFollow() const { return m_autoFollow; }

public slots:
    // Adds what is new since the last call. Skipped while the widget is hidden unless `force`
    // (exports); the window calls it for every plot at up to 30 Hz.
    void refresh(bool force = false);
    // Auto-follow on again, with the range recomputed.
    void resetAxes();

signals:
    void autoFollowChanged(bool on);

protected:
    void updateLayout() override;

private:
    void rebuild();
    void appendLive();
    void addChangeMarker(const le::ParamChange& change);
    void followNewest();

    PlotRuns m_runs;
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
    bool m_autoFollow = true;
    bool m_applyingRange = false; // our own setRange calls are not the user's
};
