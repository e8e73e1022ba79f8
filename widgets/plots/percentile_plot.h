#pragma once

#include "runs_plot.h"

#include <QElapsedTimer>

#include <cstddef>

// Percentiles over time: the live run's curve points (RunHistory::curve(): p50, p90, p99, p99.9 and
// max of a sliding window, x = the window's end, y = RTT on a log axis), each overlay's p50 and p99
// dashed (moved by its PlotRuns::shift(), named "run1 (+2.0 s)" then), and a labelled marker at every live
// change ("rate → 10k") and timeline event ("stop", "peer lost", notes), and a red band, labelled where it
// starts, over intervals whose record says the instrument was saturated (IntervalRecord::saturated). A
// percentile whose window holds fewer than 10 samples above it is a gap, and its legend entry says what
// window it needs; so are intervals without an echo and stops.
//
// Its auto range follows the newest data (the default), the time axis in steps of a sixtieth of the
// window, so that between steps a refresh draws only the strip of new points (onlyAppended()); the
// user's first drag or zoom turns it off, and resetAxes() or setTimeWindow() turn it back on.
class PercentilePlot : public RunsPlot {
    Q_OBJECT
public:
    // Points per curve at most: beyond it a rebuild merges neighbours (keeping each group's highest
    // value), so a run of hours costs the same to draw as one of minutes.
    static constexpr std::size_t kMaxPoints = 4000;
    // Fewer still for the live run when the points would crowd: at most one per this many pixels of
    // the shown time span (neighbours merged as above). After a minute of 30 records a second the
    // whole-run view held ~1.8 points per pixel, 5 curves of them, and a replot took 12 ms of the GUI
    // thread; at one point per 2 pixels it looks the same. Zooming in to less than half the span the
    // budget was made for rebuilds it for the new span, so detail comes back where it is looked at.
    static constexpr double kPixelsPerPoint = 2;

    explicit PercentilePlot(QWidget* parent = nullptr);

    // Cheap when the runs are the same objects as before: the live run's new points are then
    // appended at the next refresh instead of everything being rebuilt.
    void setRuns(const PlotRuns& runs) override;
    // Seconds shown while following; 0 = the whole run. Turns auto range on: choosing a window
    // means wanting to see it.
    void setTimeWindow(double seconds);
    double timeWindow() const { return m_timeWindow; }

    // The curves as drawn, as CSV (a shifted overlay's t_s shifted, its run named as in the
    // legend): run, t_s, window_s, samples, p50, p90, p99, p99.9, max (µs), an
    // empty cell where a value is not drawn. Then the markers as "# marker,t_s,label" lines, and the
    // saturated bands as "# saturated,from_s,to_s".
    QString plotData() const;

protected:
    // Adds what is new since the last call.
    void redraw() override;
    // The live run's graphs take its new points; a redraw that only appended them is drawn as their
    // strip (PlotBase::drawAppended).
    int appendingGraphs() const override { return m_liveGraphs; }
    bool onlyAppended() const override { return m_onlyAppended; }

private:
    void rebuild();
    // Points per curve the live run may have for the time span shown now (kPixelsPerPoint).
    std::size_t pointBudget(const std::vector<le::CurvePoint>& points);
    void appendLive();
    void addChangeMarker(double t_s, const QString& text);
    // A red band over [from_s, to_s], where the live run's records say the instrument was saturated.
    void addSaturatedBand(double from_s, double to_s);
    void explainGaps();
    void followNewest();

    // The time axis moves in steps of its window / kTimeSteps (followNewest()), with the newest point
    // at least kRightMargin of the window from the right edge.
    static constexpr double kTimeSteps = 60;
    static constexpr double kRightMargin = 0.02;

    bool m_rebuild = true;
    const le::RunHistory* m_plottedLive = nullptr;
    std::uint64_t m_liveEdits = 0;
    std::size_t m_livePoints = 0;        // live curve points already in the graphs
    std::size_t m_liveIntervals = 0;     // live intervals (burst curves, change markers) already drawn
    std::size_t m_liveMarkers = 0;       // live timeline markers already drawn
    std::size_t m_overlayIntervals = 0;  // overlays' interval count when last plotted
    bool m_bursts = false;               // first/rest curves shown
    int m_liveGraphs = 0;                // the first graphs are the live run's, when it has data
    std::vector<le::CurvePoint> m_drawn; // the live points in the graphs (merged where capped)
    bool m_merged = false;               // m_drawn merges neighbours (pointBudget())
    std::size_t m_budget = kMaxPoints;   // the live points' budget at the last rebuild
    // Points appended beyond the budget before a rebuild merges them again (~2 s at 30 a second).
    static constexpr std::size_t kRebuildAfter = 64;
    double m_budgetSpan = 0; // the shown time span the budget was made for (s)
    QList<QCPAbstractItem*> m_markerItems;
    QStringList m_markerTexts;
    QList<double> m_markerTimes;
    QList<QPair<double, double>> m_saturated; // the bands drawn, from and to (s)
    double m_timeWindow = 0;
    bool m_onlyAppended = false; // the last redraw() only appended live points
    QCPRange m_followedY;        // the value range followNewest() set last
    QElapsedTimer m_explained;   // since a legend entry's explanation last changed
    static constexpr int kExplainEveryMs = 1000;
};
