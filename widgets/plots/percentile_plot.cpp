#include "percentile_plot.h"

#include "latency_axis.h"
#include "plot_colours.h"
#include "plot_marker.h"

#include <algorithm>
#include <array>
#include <limits>

namespace {

constexpr int kLegendColumns = 5;

using Getter = double (*)(const le::IntervalRecord&);

struct Curve {
    const char* name;
    Getter get;
    QRgb colour;
    Qt::PenStyle style = Qt::SolidLine;
};

// Ordered from the body to the tail, coloured so neighbouring curves never share a hue.
constexpr std::array<Curve, 5> kLiveCurves = {{
    {"p50", [](const le::IntervalRecord& r) { return r.p50_us; }, SeriesColours::kP50},
    {"p90", [](const le::IntervalRecord& r) { return r.p90_us; }, SeriesColours::kP90},
    {"p99", [](const le::IntervalRecord& r) { return r.p99_us; }, SeriesColours::kP99},
    {"p99.9", [](const le::IntervalRecord& r) { return r.p999_us; }, SeriesColours::kP999},
    {"max", [](const le::IntervalRecord& r) { return r.max_us; }, SeriesColours::kMax},
}};

// With bursts: the first round trip of each tick (the cold path) against the others.
constexpr std::array<Curve, 2> kBurstCurves = {{
    {"first of burst p50", [](const le::IntervalRecord& r) { return r.first.p50_us; },
     SeriesColours::kBurstFirst, Qt::DashLine},
    {"rest of burst p50", [](const le::IntervalRecord& r) { return r.rest.p50_us; },
     SeriesColours::kBurstRest, Qt::DotLine},
}};

bool hasBursts(const le::RunHistory* run) {
    return run && !run->empty() && run->intervals().back().burst > 1;
}

constexpr std::array<Curve, 2> kOverlayCurves = {{
    {"p50", [](const le::IntervalRecord& r) { return r.p50_us; }, 0},
    {"p99", [](const le::IntervalRecord& r) { return r.p99_us; }, 0},
}};

// An interval without a single echo has no percentiles; a zero would also be -inf on the log axis.
// NaN makes QCPGraph leave a gap.
double valueOf(const le::IntervalRecord& r, Getter get) {
    const double v = get(r);
    return r.received > 0 && v > 0 ? v : qQNaN();
}

void setCurve(QCPGraph* graph, const std::vector<le::IntervalRecord>& records, std::size_t from, Getter get) {
    QVector<double> keys, values;
    keys.reserve(static_cast<qsizetype>(records.size() - from));
    values.reserve(keys.capacity());
    for (std::size_t i = from; i < records.size(); ++i) {
        keys << records[i].t_s;
        values << valueOf(records[i], get);
    }
    graph->addData(keys, values, true);
}

double newestTime(const le::RunHistory& run) {
    return run.intervals().empty() ? 0.0 : run.intervals().back().t_s;
}

} // namespace

PercentilePlot::PercentilePlot(QWidget* parent)
    // 5 + 2 per overlay entries would cover the newest data inside the axis rect: a row above it,
    // the live run's five curves on the first line when there is room.
    : RunsPlot(kLegendColumns, parent) {
    setLatencyAxis(yAxis);
    xAxis->setLabel(tr("time (s)"));
    yAxis->setLabel(tr("round-trip time"));
    xAxis->setRange(0, 10);
    yAxis->setRange(10, 1000);
    // Jagged tail curves (p99.9, max) of up to 600 points each, stroked as one polyline with 1.6 px
    // pens, cost ~180 ms per replot at a full 60 s window; segment by segment it is ~6 ms and looks
    // the same on screen. Exports (no caching, vectorized) still draw true polylines.
    setPlottingHint(QCP::phFastPolylines, true);
    watchUserRange();
}

void PercentilePlot::setRuns(const PlotRuns& runs) {
    // Overlays are redrawn whole when they change; an A/B comparison grows its runs in place.
    std::size_t overlayIntervals = 0;
    for (const auto& o : runs.overlays)
        overlayIntervals += o ? o->intervals().size() : 0;
    if (runs.live != this->runs().live || runs.overlays != this->runs().overlays ||
        overlayIntervals != m_overlayIntervals)
        m_rebuild = true;
    m_overlayIntervals = overlayIntervals;
    RunsPlot::setRuns(runs);
}

void PercentilePlot::setTimeWindow(double seconds) {
    m_timeWindow = std::max(0.0, seconds);
    resetAxes(); // auto range on, and refreshed
}

void PercentilePlot::redraw() {
    const le::RunHistory* live = runs().live.get();
    const bool liveHasData = live && !live->empty();
    if (m_rebuild || live != m_plottedLive || (m_liveGraphs > 0) != liveHasData ||
        hasBursts(live) != m_bursts || (live && live->intervals().size() < m_liveCount))
        rebuild();
    else if (liveHasData)
        appendLive();
    if (autoRange())
        followNewest();
}

void PercentilePlot::rebuild() {
    m_rebuild = false;
    m_plottedLive = runs().live.get();
    m_liveCount = 0;
    for (QCPAbstractItem* item : std::as_const(m_changeLines))
        removeItem(item);
    for (QCPAbstractItem* item : std::as_const(m_changeLabels))
        removeItem(item);
    m_changeLines.clear();
    m_changeLabels.clear();

    int index = 0;
    m_liveGraphs = 0;
    if (runs().live && !runs().live->empty()) {
        const QString run = QString::fromStdString(runs().live->name());
        m_bursts = hasBursts(runs().live.get());
        m_liveGetters.clear();
        const auto addLive = [&](const Curve& curve) {
            QCPGraph* graph = seriesGraph(index++, QStringLiteral("%1 %2").arg(run, curve.name),
                                          QPen(QColor(curve.colour), 1.6, curve.style));
            graph->data()->clear();
            m_liveGetters.push_back(curve.get);
        };
        for (const Curve& curve : kLiveCurves)
            addLive(curve);
        if (m_bursts)
            for (const Curve& curve : kBurstCurves)
                addLive(curve);
        m_liveGraphs = index;
        appendLive();
    }
    for (int i = 0; i < runs().overlays.size(); ++i) {
        const auto& overlay = runs().overlays[i];
        if (!overlay || overlay->empty())
            continue;
        const QString run = QString::fromStdString(overlay->name());
        for (std::size_t c = 0; c < kOverlayCurves.size(); ++c) {
            // Dashes say "saved run"; the pattern tells its p50 from its p99.
            QPen pen(runColour(i + 1), 1.5, c == 0 ? Qt::DashLine : Qt::DashDotLine);
            QCPGraph* graph =
                seriesGraph(index++, QStringLiteral("%1 %2").arg(run, kOverlayCurves[c].name), pen);
            graph->data()->clear();
            setCurve(graph, overlay->intervals(), 0, kOverlayCurves[c].get);
        }
    }
    removeGraphsFrom(index);
}

void PercentilePlot::appendLive() {
    const auto& records = runs().live->intervals();
    if (records.size() <= m_liveCount)
        return;
    for (int c = 0; c < m_liveGraphs; ++c)
        setCurve(graph(c), records, m_liveCount, m_liveGetters[static_cast<std::size_t>(c)]);
    for (std::size_t i = m_liveCount; i < records.size(); ++i) {
        for (const le::ParamChange& change : records[i].changes)
            addChangeMarker(change);
    }
    m_liveCount = records.size();
}

void PercentilePlot::addChangeMarker(const le::ParamChange& change) {
    // Staggered rows: changes applied close together ("rate" then "tasks") stay readable.
    const PlotMarker marker = addMarker(this, change.t_s,
                                        QStringLiteral("%1 → %2").arg(QString::fromStdString(change.key),
                                                                      QString::fromStdString(change.value)),
                                        static_cast<int>(m_changeLabels.size() % 3));
    m_changeLines << marker.line;
    m_changeLabels << marker.label;
}

void PercentilePlot::followNewest() {
    double newest = 0;
    if (m_liveGraphs > 0 && m_timeWindow > 0) {
        newest = newestTime(*runs().live);
    } else {
        // The whole run, or no live run to follow: everything shown fits.
        if (runs().live)
            newest = newestTime(*runs().live);
        for (const auto& overlay : std::as_const(runs().overlays)) {
            if (overlay)
                newest = std::max(newest, newestTime(*overlay));
        }
    }
    const double lower = m_timeWindow > 0 ? std::max(0.0, newest - m_timeWindow) : 0.0;
    double upper = std::max(newest, lower + 1.0);
    upper += 0.02 * (upper - lower); // the newest point is not glued to the frame

    double yLower = std::numeric_limits<double>::max(), yUpper = 0;
    for (int i = 0; i < graphCount(); ++i) {
        if (!graph(i)->visible())
            continue;
        bool found = false;
        const QCPRange r = graph(i)->getValueRange(found, QCP::sdPositive, QCPRange(lower, upper));
        if (found) {
            yLower = std::min(yLower, r.lower);
            yUpper = std::max(yUpper, r.upper);
        }
    }

    setOwnRange(xAxis, lower, upper);
    // Room above the highest point for the change labels, a little below the lowest for air.
    if (yUpper > 0)
        setOwnRange(yAxis, yLower / 1.3, yUpper * 2.0);
}
