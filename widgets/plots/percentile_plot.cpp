#include "percentile_plot.h"

#include "latency_axis.h"
#include "plot_colours.h"
#include "plot_marker.h"
#include "plot_runs.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace {

constexpr int kLegendColumns = 5;

struct Curve {
    const char* name;
    QRgb colour;
};

// Ordered from the body to the tail as CurvePoint::value() counts them, coloured so neighbouring
// curves never share a hue.
constexpr std::array<Curve, le::kCurveValues> kLiveCurves = {{
    {"p50", SeriesColours::kP50},
    {"p90", SeriesColours::kP90},
    {"p99", SeriesColours::kP99},
    {"p99.9", SeriesColours::kP999},
    {"max", SeriesColours::kMax},
}};

// With bursts: the first round trip of each tick (the cold path) against the others, per record.
struct BurstCurve {
    const char* name;
    const le::RttStats le::IntervalRecord::*part;
    QRgb colour;
    Qt::PenStyle style;
};
constexpr std::array<BurstCurve, 2> kBurstCurves = {{
    {"first of burst p50", &le::IntervalRecord::first, SeriesColours::kBurstFirst, Qt::DashLine},
    {"rest of burst p50", &le::IntervalRecord::rest, SeriesColours::kBurstRest, Qt::DotLine},
}};

// Overlays: their p50 and p99 (CurvePoint values 0 and 2).
constexpr std::array<std::pair<const char*, std::size_t>, 2> kOverlayCurves = {{{"p50", 0}, {"p99", 2}}};

bool hasBursts(const le::RunHistory* run) {
    return run && !run->empty() && run->intervals().back().burst > 1;
}

// NaN makes QCPGraph leave a gap; a zero would also be -inf on the log axis.
double drawable(double v) {
    return v > 0 ? v : qQNaN();
}

// `shift_s` moves the points on the time axis (an overlay lined up with the live run).
void addPoints(QCPGraph* graph, const std::vector<le::CurvePoint>& points, std::size_t from,
               std::size_t value, double shift_s = 0) {
    QVector<double> keys, values;
    keys.reserve(static_cast<qsizetype>(points.size() - from));
    values.reserve(keys.capacity());
    for (std::size_t i = from; i < points.size(); ++i) {
        keys << points[i].t_s + shift_s;
        values << drawable(points[i].value(value));
    }
    graph->addData(keys, values, true);
}

// At most about `limit` points: groups of neighbours become one point holding each value's highest
// (peaks stay visible), and a group with a gap is followed by a gap.
std::vector<le::CurvePoint> capped(const std::vector<le::CurvePoint>& points, std::size_t limit) {
    if (points.size() <= limit)
        return points;
    const std::size_t group = (points.size() + limit - 1) / limit;
    std::vector<le::CurvePoint> out;
    out.reserve(limit + limit / 4);
    for (std::size_t i = 0; i < points.size(); i += group) {
        const std::size_t end = std::min(points.size(), i + group);
        le::CurvePoint merged = points[end - 1];
        bool gap = false;
        for (std::size_t j = i; j < end; ++j) {
            gap = gap || points[j].gap();
            for (double le::CurvePoint::*v :
                 {&le::CurvePoint::p50_us, &le::CurvePoint::p90_us, &le::CurvePoint::p99_us,
                  &le::CurvePoint::p999_us, &le::CurvePoint::max_us}) {
                if (!std::isnan(points[j].*v) && !(points[j].*v <= merged.*v))
                    merged.*v = points[j].*v;
            }
        }
        if (!merged.gap())
            out.push_back(merged);
        if (gap)
            out.push_back(le::gap_point(points[end - 1].t_s));
    }
    return out;
}

double newestTime(const le::RunHistory& run) {
    return run.curve().empty() ? 0.0 : run.curve().back().t_s;
}

QString csvValue(double v) {
    return std::isnan(v) ? QString() : QString::number(v, 'g', 9);
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
    // Fast polylines (PlotBase) matter most here: jagged tail curves (p99.9, max) of up to 600 points
    // each, stroked as one polyline with 1.6 px pens, cost ~180 ms per replot at a full 60 s window;
    // segment by segment it is ~6 ms and looks the same on screen.
    watchUserRange();
    // Zoomed in on merged points: rebuilt for the new span (queued: not inside the range change).
    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this](const QCPRange& range) {
        if (m_merged && !m_rebuild && range.size() < m_budgetSpan / 2) {
            m_rebuild = true;
            QMetaObject::invokeMethod(
                this, [this] { refresh(true); }, Qt::QueuedConnection);
        }
    });
}

std::size_t PercentilePlot::pointBudget(const std::vector<le::CurvePoint>& points) {
    if (points.size() < 2)
        return kMaxPoints;
    const double span = points.back().t_s - points.front().t_s;
    // The span on screen: what following shows (the time window, or the whole run), else the user's.
    const double shown = !autoRange() ? xAxis->range().size() : m_timeWindow > 0 ? m_timeWindow : span;
    m_budgetSpan = std::clamp(shown, 1e-3, std::max(1e-3, span));
    // A plot not laid out yet (hidden) has no width to go by: a generous one.
    const double pixels = std::max(600, axisRect()->width());
    const double budget = pixels / kPixelsPerPoint * std::max(1.0, span / m_budgetSpan);
    return static_cast<std::size_t>(std::clamp(budget, 64.0, static_cast<double>(kMaxPoints)));
}

void PercentilePlot::setRuns(const PlotRuns& runs) {
    // Overlays are redrawn whole when they change; an A/B comparison grows its runs in place.
    std::size_t overlayIntervals = 0;
    for (const auto& o : runs.overlays)
        overlayIntervals += o ? o->curve().size() : 0;
    if (runs.live != this->runs().live || runs.overlays != this->runs().overlays ||
        runs.shifts != this->runs().shifts || overlayIntervals != m_overlayIntervals)
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
    const bool liveHasData = live && !live->curve().empty();
    m_onlyAppended = false;
    if (m_rebuild || live != m_plottedLive || (m_liveGraphs > 0) != liveHasData ||
        hasBursts(live) != m_bursts ||
        (live && (live->edits() != m_liveEdits || live->curve().size() < m_livePoints ||
                  live->intervals().size() < m_liveIntervals || live->markers().size() < m_liveMarkers)) ||
        m_drawn.size() > m_budget + kRebuildAfter)
        rebuild();
    else if (liveHasData) {
        appendLive();
        m_onlyAppended = true; // refresh() draws the strip of what came (PlotBase::drawAppended)
    }
    explainGaps();
    if (autoRange())
        followNewest();
}

void PercentilePlot::rebuild() {
    m_rebuild = false;
    m_plottedLive = runs().live.get();
    m_liveEdits = m_plottedLive ? m_plottedLive->edits() : 0;
    m_livePoints = m_liveIntervals = m_liveMarkers = 0;
    m_drawn.clear();
    m_merged = false;
    m_budget = kMaxPoints;
    for (QCPAbstractItem* item : std::as_const(m_markerItems))
        removeItem(item);
    m_markerItems.clear();
    m_markerTexts.clear();
    m_markerTimes.clear();
    m_saturated.clear();

    int index = 0;
    m_liveGraphs = 0;
    if (runs().live && !runs().live->curve().empty()) {
        const QString run = QString::fromStdString(runs().live->name());
        m_bursts = hasBursts(runs().live.get());
        for (const Curve& curve : kLiveCurves) {
            QCPGraph* graph = seriesGraph(index++, QStringLiteral("%1 %2").arg(run, curve.name),
                                          QPen(QColor(curve.colour), 1.6));
            graph->data()->clear();
            // The point budget keeps the live curves at most a point per pixel or so, and without
            // adaptive sampling a strip of new points draws as a replot would (PlotBase::drawAppended).
            graph->setAdaptiveSampling(false);
        }
        if (m_bursts) {
            for (const BurstCurve& curve : kBurstCurves)
                seriesGraph(index++, QStringLiteral("%1 %2").arg(run, curve.name),
                            QPen(QColor(curve.colour), 1.6, curve.style))
                    ->data()
                    ->clear();
        }
        m_liveGraphs = index;
        // Capped once here; the points appended until the next rebuild come on top: that is the next
        // compaction (about a second away once the run is past its detail span) or kRebuildAfter
        // points past the budget, whichever comes first.
        m_budget = pointBudget(runs().live->curve());
        m_drawn = capped(runs().live->curve(), m_budget);
        m_merged = m_drawn.size() < runs().live->curve().size();
        for (std::size_t c = 0; c < le::kCurveValues; ++c)
            addPoints(graph(static_cast<int>(c)), m_drawn, 0, c);
        m_livePoints = runs().live->curve().size();
        appendLive();
    }
    for (int i = 0; i < runs().overlays.size(); ++i) {
        const auto& overlay = runs().overlays[i];
        if (!overlay || overlay->curve().empty())
            continue;
        const QString run = shiftedName(QString::fromStdString(overlay->name()), runs().shift(i));
        const std::vector<le::CurvePoint> points = capped(overlay->curve(), kMaxPoints);
        for (std::size_t c = 0; c < kOverlayCurves.size(); ++c) {
            // Dashes say "saved run"; the pattern tells its p50 from its p99.
            QPen pen(runColour(i + 1), 1.5, c == 0 ? Qt::DashLine : Qt::DashDotLine);
            QCPGraph* graph =
                seriesGraph(index++, QStringLiteral("%1 %2").arg(run, kOverlayCurves[c].first), pen);
            graph->data()->clear();
            addPoints(graph, points, 0, kOverlayCurves[c].second, runs().shift(i));
        }
    }
    removeGraphsFrom(index);
}

void PercentilePlot::appendLive() {
    const le::RunHistory& live = *runs().live;
    const auto& points = live.curve();
    if (points.size() > m_livePoints) {
        for (std::size_t c = 0; c < le::kCurveValues; ++c)
            addPoints(graph(static_cast<int>(c)), points, m_livePoints, c);
        m_drawn.insert(m_drawn.end(), points.begin() + static_cast<std::ptrdiff_t>(m_livePoints),
                       points.end());
        m_livePoints = points.size();
    }
    const auto& records = live.intervals();
    for (std::size_t i = m_liveIntervals; i < records.size(); ++i) {
        const le::IntervalRecord& r = records[i];
        if (m_bursts) {
            for (std::size_t b = 0; b < kBurstCurves.size(); ++b) {
                const le::RttStats& part = r.*kBurstCurves[b].part;
                graph(static_cast<int>(le::kCurveValues + b))
                    ->addData(r.t_s, le::percentile_drawn(part.count, 50) ? drawable(part.p50_us) : qQNaN());
            }
        }
        if (r.saturated)
            addSaturatedBand(r.t_s - r.duration_s, r.t_s);
        for (const le::ParamChange& change : r.changes)
            addChangeMarker(change.t_s, QStringLiteral("%1 → %2").arg(QString::fromStdString(change.key),
                                                                      QString::fromStdString(change.value)));
    }
    m_liveIntervals = records.size();
    for (std::size_t i = m_liveMarkers; i < live.markers().size(); ++i)
        addChangeMarker(live.markers()[i].t_s, QString::fromStdString(live.markers()[i].value));
    m_liveMarkers = live.markers().size();
}

void PercentilePlot::addChangeMarker(double t_s, const QString& text) {
    // Staggered rows: changes applied close together ("rate" then "tasks") stay readable.
    const PlotMarker marker = addMarker(this, t_s, text, 0); // rows are chosen when drawn
    m_markerItems << marker.line << marker.label;
    m_markerTexts << text;
    m_markerTimes << t_s;
}

void PercentilePlot::addSaturatedBand(double from_s, double to_s) {
    // A streak of saturated intervals is one band with one label, where it starts.
    const bool continues = !m_saturated.isEmpty() && std::abs(m_saturated.back().second - from_s) < 1e-6;
    if (!continues)
        addChangeMarker(from_s, tr("instrument saturated: its own queue is in these RTTs"));
    auto* band = new QCPItemRect(this);
    band->setLayer(QStringLiteral("markerLines")); // under the curves (plot_marker.h)
    band->setSelectable(false);
    band->setPen(Qt::NoPen);
    band->setBrush(QColor(220, 40, 40, 60));
    for (QCPItemPosition* corner : {band->topLeft, band->bottomRight}) {
        corner->setTypeX(QCPItemPosition::ptPlotCoords);
        corner->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    band->topLeft->setCoords(from_s, 0);
    band->bottomRight->setCoords(to_s, 1);
    m_markerItems << band;
    if (continues)
        m_saturated.back().second = to_s;
    else
        m_saturated.append({from_s, to_s});
}

void PercentilePlot::explainGaps() {
    if (m_liveGraphs == 0)
        return;
    // The newest window with data says what the percentiles that are not drawn would need.
    const auto newest =
        std::find_if(m_drawn.rbegin(), m_drawn.rend(), [](const le::CurvePoint& p) { return !p.gap(); });
    const QString run = QString::fromStdString(runs().live->name());
    for (std::size_t c = 0; c + 1 < le::kCurveValues; ++c) {
        QString name = QStringLiteral("%1 %2").arg(run, kLiveCurves[c].name);
        if (newest != m_drawn.rend() && std::isnan(newest->value(c)) && newest->window_s > 0) {
            const double rate = static_cast<double>(newest->samples) / newest->window_s;
            name += QStringLiteral(" (%1)").arg(
                QString::fromStdString(le::why_not_drawn(le::kCurvePercentiles[c], rate)).section(": ", 1));
        }
        QCPGraph* g = graph(static_cast<int>(c));
        if (g->name() == name)
            continue;
        // A new explanation, or one gone, shows at once; its figures (the rate, the window it needs)
        // at most once a second: readable, and a legend changing at every record would have the whole
        // plot replotted at every record instead of the strip of new points (PlotBase::drawAppended).
        const bool figuresOnly =
            g->name().contains(QLatin1String(" (")) && name.contains(QLatin1String(" ("));
        if (figuresOnly && m_explained.isValid() && m_explained.elapsed() < kExplainEveryMs)
            continue;
        g->setName(name);
        m_explained.start();
    }
    const QString label =
        runs().live ? tr("round-trip time, each point the %1").arg(windowText(runs().live->window_s()))
                    : tr("round-trip time");
    if (yAxis->label() != label)
        yAxis->setLabel(label);
}

QString PercentilePlot::plotData() const {
    QString out = QStringLiteral("run,t_s,window_s,samples,p50,p90,p99,p99.9,max\n");
    const auto rows = [&out](const QString& run, const std::vector<le::CurvePoint>& points,
                             const std::vector<std::size_t>& shown, double shift_s) {
        for (const le::CurvePoint& p : points) {
            out += QStringLiteral("%1,%2,%3,%4")
                       .arg(run)
                       .arg(p.t_s + shift_s, 0, 'f', 4)
                       .arg(p.window_s, 0, 'f', 4)
                       .arg(p.samples);
            for (std::size_t c = 0; c < le::kCurveValues; ++c) {
                const bool drawn = std::find(shown.begin(), shown.end(), c) != shown.end();
                out += QLatin1Char(',') + (drawn ? csvValue(drawable(p.value(c))) : QString());
            }
            out += QLatin1Char('\n');
        }
    };
    if (m_liveGraphs > 0)
        rows(QString::fromStdString(runs().live->name()), m_drawn, {0, 1, 2, 3, 4}, 0);
    for (int i = 0; i < runs().overlays.size(); ++i) {
        const auto& overlay = runs().overlays[i];
        if (overlay && !overlay->curve().empty())
            rows(shiftedName(QString::fromStdString(overlay->name()), runs().shift(i)),
                 capped(overlay->curve(), kMaxPoints), {0, 2}, runs().shift(i));
    }
    for (int i = 0; i < m_markerTexts.size(); ++i)
        out += QStringLiteral("# marker,%1,\"%2\"\n")
                   .arg(m_markerTimes[i], 0, 'f', 3)
                   .arg(QString(m_markerTexts[i]).replace('"', "\"\""));
    for (const auto& [from, to] : m_saturated)
        out += QStringLiteral("# saturated,%1,%2\n").arg(from, 0, 'f', 3).arg(to, 0, 'f', 3);
    return out;
}

void PercentilePlot::followNewest() {
    double newest = 0, earliest = 0;
    if (m_liveGraphs > 0 && m_timeWindow > 0) {
        newest = newestTime(*runs().live);
    } else {
        // The whole run, or no live run to follow: everything shown fits, shifted overlays too.
        if (runs().live)
            newest = newestTime(*runs().live);
        for (int i = 0; i < runs().overlays.size(); ++i) {
            const auto& overlay = runs().overlays[i];
            if (!overlay || overlay->curve().empty())
                continue;
            newest = std::max(newest, newestTime(*overlay) + runs().shift(i));
            earliest = std::min(earliest, overlay->curve().front().t_s + runs().shift(i));
        }
    }
    // The time axis moves in steps of a sixtieth of its span, the newest point 2 % to 3.7 % of the
    // span from the right edge, not with every record: between steps only new points are drawn, each
    // refresh drawing just their strip (PlotBase::drawAppended). A run younger than the window fills the
    // smallest of its spans halved (a sixty-fourth at least) that holds it: more than half the
    // plot, rescaled a handful of times in the first minute instead of at every record.
    double lower = earliest, upper = 0;
    if (m_timeWindow > 0 && m_liveGraphs == 0) {
        // Saved runs alone (an opened run, its export): nothing streams, they fit the plot.
        lower = std::max(0.0, newest - m_timeWindow);
        upper = std::max(newest, lower + 1.0);
        upper += kRightMargin * (upper - lower);
    } else if (m_timeWindow > 0) {
        const double span = m_timeWindow * (1 + kRightMargin), step = m_timeWindow / kTimeSteps;
        upper = std::max(span, std::ceil((newest + kRightMargin * m_timeWindow) / step) * step);
        lower = upper - span;
        if (lower <= 0) {
            lower = 0;
            upper = span;
            while (upper / 2 >= newest * (1 + kRightMargin) && upper / 2 >= span / 64)
                upper /= 2;
        }
    } else {
        const double needed = (std::max(newest, lower + 1.0) - lower) * (1 + kRightMargin);
        const double step = std::exp2(std::ceil(std::log2(needed / kTimeSteps)));
        upper = lower + std::ceil(needed / step) * step;
    }

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

    if (xAxis->range() != QCPRange(lower, upper))
        setOwnRange(xAxis, lower, upper);
    // Room above the highest point for the change labels, a little below the lowest for air. The
    // range set last is kept while the curves stay inside it with room to spare and it is at most
    // twice what they need either side: one that followed every new maximum would have the whole
    // plot redrawn at every record.
    if (yUpper > 0) {
        const QCPRange now = yAxis->range();
        const double lowest = yLower / 1.3, highest = yUpper * 2.0;
        const bool keep = now == m_followedY && now.lower <= yLower / 1.1 && now.lower >= lowest / 2 &&
                          now.upper >= yUpper * 1.6 && now.upper <= highest * 2;
        if (!keep) {
            setOwnRange(yAxis, lowest, highest);
            m_followedY = yAxis->range();
        }
    }
}
