#pragma once

#include "runs_plot.h"

#include <cstddef>
#include <cstdint>

class QCPTextElement;

// Where the time goes: the live run's kernel-timestamp split of its round trips (the parts of
// split_parts.h) over time, one point per interval record at its end, on the time axis of the
// percentiles over time (the window keeps the two in step with followTime()). Two views:
// - P50Stacked: the parts' p50 stacked as areas, send at the bottom; the top is the sum of the p50s,
//   close to but not the RTT's p50;
// - P99Lines: each part's p99 as its own line: p99s do not add up, so they are not stacked.
// A part's percentile is drawn only where its interval holds >= 10 samples above it (p50 from 20
// samples, p99 from 1000: windowed_percentiles.h); elsewhere a gap, and the legend says what it
// needs. Records without a split are gaps too, and while the newest has none the title says why in
// its record's words ("no: …"). Markers as on the percentiles over time. Overlays are not drawn:
// the split explains the live run.
class SplitPlot : public RunsPlot {
    Q_OBJECT
public:
    enum class View { P50Stacked, P99Lines };

    explicit SplitPlot(QWidget* parent = nullptr);

    // Refreshes the plot when the view changes.
    void setView(View view);
    View view() const { return m_view; }
    // Shows [lower, upper] s of the time axis as the plot's own choice (auto range stays on).
    void followTime(double lower, double upper);
    // Seconds the percentiles over time show (0 = the whole run), for the title.
    void setTimeWindow(double seconds);
    // The title as drawn: the view and the window it covers, or "No split: …" and why.
    QString title() const;

protected:
    void redraw() override;
    // Every part's graph takes the new records' points; a redraw that only appended them is drawn as
    // their strip (PlotBase::drawAppended).
    int appendingGraphs() const override { return graphCount(); }
    bool onlyAppended() const override { return m_onlyAppended; }
    bool event(QEvent* event) override;

private:
    void rebuild();
    void appendRecords();
    void styleGraphs();
    void addChangeMarker(double t_s, const QString& text);
    void updateTexts();
    void fitValues();

    View m_view = View::P50Stacked;
    double m_timeWindow = 60;
    QCPTextElement* m_title;
    bool m_rebuild = true;
    bool m_peer = false; // some record of the live run has the peer's side: four parts drawn
    const le::RunHistory* m_plotted = nullptr;
    std::uint64_t m_edits = 0;
    std::size_t m_intervals = 0, m_markers = 0; // records and timeline markers already drawn
    QList<QCPAbstractItem*> m_markerItems;
    std::uint64_t m_rebuilds = 0;  // rebuild() calls, to tell a refresh that rebuilt
    bool m_onlyAppended = false;   // the last redraw() only appended points
    QCPRange m_fittedY;            // the value range fitValues() set last
    double m_labelledInterval = 0; // the record interval the value axis's label names (s)
};
