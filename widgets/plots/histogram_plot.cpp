#include "histogram_plot.h"

#include "latency_axis.h"
#include "plot_marker.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace {

constexpr int kLegendColumns = 4;

// About this many bins across the shown span: enough to see modes and tails, few enough that the
// step line is readable.
constexpr double kTargetBins = 150;
// Bounds on bins per decade. The upper one is near the histogram's own resolution (128-256
// buckets per power of two); finer bins would only repeat the same bucket.
constexpr int kMinBinsPerDecade = 20;
constexpr int kMaxBinsPerDecade = 200;

// Log-spaced bins shared by every series, so the percentages of different runs sit on the same
// bins and compare directly. Edges are multiples of 1/perDecade decades, so they do not wander
// as the data range grows a little.
struct Bins {
    int perDecade = kMinBinsPerDecade;
    int first = 0; // log10(edge 0) * perDecade
    int count = 1;

    double edge(int k) const { return std::pow(10.0, static_cast<double>(first + k) / perDecade); }
    int binOf(double ns) const {
        const int k = static_cast<int>(std::floor(std::log10(ns) * perDecade)) - first;
        return std::clamp(k, 0, count - 1);
    }
};

Bins binsFor(const QList<HistogramSeries>& series) {
    double lo = 0, hi = 0;
    for (const auto& s : series) {
        const le::Histogram& h = *s.histogram;
        const double a =
            static_cast<double>(le::Histogram::lowest_equivalent(le::Histogram::index_of(h.min())));
        const double b =
            static_cast<double>(le::Histogram::highest_equivalent(le::Histogram::index_of(h.max()))) + 1;
        lo = lo == 0 ? a : std::min(lo, a);
        hi = std::max(hi, b);
    }
    lo = std::max(lo, 1.0); // a 0 ns RTT is a clock artefact; it lands in the first bin
    hi = std::max(hi, lo * 1.01);
    const double decades = std::log10(hi / lo);
    Bins bins;
    bins.perDecade = std::clamp(static_cast<int>(std::lround(kTargetBins / decades)), kMinBinsPerDecade,
                                kMaxBinsPerDecade);
    bins.first = static_cast<int>(std::floor(std::log10(lo) * bins.perDecade));
    const int last = static_cast<int>(std::ceil(std::log10(hi) * bins.perDecade));
    bins.count = std::max(1, last - bins.first);
    return bins;
}

// Share of samples (%) per bin. A bucket straddling bin edges is split in proportion to the
// overlap, assuming its samples spread evenly over its range: without that, bins narrower than a
// bucket would alternate between full and empty and draw a comb.
std::vector<double> binShares(const le::Histogram& h, const Bins& bins) {
    std::vector<double> counts(static_cast<std::size_t>(bins.count), 0.0);
    const std::size_t first = le::Histogram::index_of(h.min());
    const std::size_t last = le::Histogram::index_of(h.max());
    for (std::size_t i = first; i <= last; ++i) {
        const auto n = static_cast<double>(h.count_at_index(i));
        if (n == 0)
            continue;
        const double a = std::max(1.0, static_cast<double>(le::Histogram::lowest_equivalent(i)));
        const double b = std::max(a, static_cast<double>(le::Histogram::highest_equivalent(i)) + 1);
        const int ka = bins.binOf(a);
        const int kb = b > a ? bins.binOf(std::nextafter(b, 0.0)) : ka;
        if (ka == kb) {
            counts[static_cast<std::size_t>(ka)] += n;
            continue;
        }
        for (int k = ka; k <= kb; ++k) {
            const double overlap = std::min(b, bins.edge(k + 1)) - std::max(a, bins.edge(k));
            counts[static_cast<std::size_t>(k)] += n * std::max(0.0, overlap) / (b - a);
        }
    }
    const double total = static_cast<double>(h.count());
    for (double& c : counts)
        c = c * 100.0 / total;
    return counts;
}

} // namespace

HistogramPlot::HistogramPlot(QWidget* parent)
    : HistogramRunsPlot(kLegendColumns, parent) { // above: inside, it would hide the percentile labels
    setLatencyAxis(xAxis);
    xAxis->setLabel(tr("round-trip time"));
    yAxis->setLabel(tr("share of samples (%)"));
    yAxis->setRange(0, 10);
    xAxis->setRange(10, 1000);
    watchUserRange();
}

void HistogramPlot::redraw() {
    const QList<HistogramSeries> series = this->series();
    removeGraphsFrom(static_cast<int>(series.size()));
    for (QCPAbstractItem* item : std::as_const(m_markers))
        removeItem(item);
    m_markers.clear();
    if (series.isEmpty())
        return;

    const Bins bins = binsFor(series);
    double yMax = 0;
    for (int s = 0; s < series.size(); ++s) {
        const HistogramSeries& run = series[s];
        const std::vector<double> shares = binShares(*run.histogram, bins);
        // Step line: each bin's share holds from its lower edge to the next; the curve starts and
        // ends on the baseline so a run's outline is closed.
        // Bins are in ns (the histogram's unit), the axis in µs.
        QVector<double> keys, values;
        keys.reserve(bins.count + 2);
        values.reserve(bins.count + 2);
        keys << bins.edge(0) / 1e3;
        values << 0.0;
        for (int k = 0; k < bins.count; ++k) {
            keys << bins.edge(k) / 1e3;
            values << shares[static_cast<std::size_t>(k)];
            yMax = std::max(yMax, shares[static_cast<std::size_t>(k)]);
        }
        keys << bins.edge(bins.count) / 1e3;
        values << 0.0;

        QCPGraph* graph = seriesGraph(s, run.name, QPen(run.colour, run.live ? 2.0 : 1.5));
        graph->setLineStyle(QCPGraph::lsStepLeft);
        QColor fill = run.colour;
        fill.setAlpha(run.live ? 45 : 0); // the live run stands out; overlays stay outlines
        graph->setBrush(run.live ? QBrush(fill) : QBrush(Qt::NoBrush));
        graph->setData(keys, values, true);
    }

    // Headroom above the peak keeps the marker labels clear of the curves.
    if (autoRange()) {
        setOwnRange(xAxis, bins.edge(0) / 1e3 / 1.15, bins.edge(bins.count) / 1e3 * 1.15);
        setOwnRange(yAxis, 0, yMax * 1.35 > 0 ? yMax * 1.35 : 1);
    }
    if (series.front().live)
        rebuildMarkers(*series.front().histogram);
}

void HistogramPlot::rebuildMarkers(const le::Histogram& live) {
    struct Marker {
        const char* label;
        double percentile;
    };
    static constexpr std::array<Marker, 3> kMarkers = {{{"p50", 50.0}, {"p99", 99.0}, {"p99.9", 99.9}}};
    int row = 0;
    for (const Marker& m : kMarkers) {
        if (!le::percentile_drawn(live.count(), m.percentile))
            continue; // fewer than 10 samples above it: the curves leave it out too
        const double us = static_cast<double>(live.value_at_percentile(m.percentile)) / 1e3;
        if (!(us > 0))
            continue; // not placeable on the log axis
        // One row each: p99 and p99.9 are often close enough for their labels to collide.
        const PlotMarker marker =
            addMarker(this, us, QStringLiteral("%1 %2").arg(QLatin1String(m.label), formatMicros(us)), row++);
        m_markers << marker.line << marker.label;
    }
}
