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
// as the data range grows a little. They are computed once per redraw: a pow() or log10() per
// bucket and bin took 1.5 % of the GUI thread's time at 30 redraws per second.
struct Bins {
    int perDecade = kMinBinsPerDecade;
    int first = 0; // log10(edge 0) * perDecade
    int count = 1;
    std::vector<double> edges; // count + 1 edges in ns: bin k is [edges[k], edges[k + 1])

    double edge(int k) const { return edges[static_cast<std::size_t>(k)]; }
    // The bin holding `ns`, searched upwards from bin `from`: the buckets come in increasing order,
    // so the search resumes where the previous one ended. Values outside land in the end bins.
    int binOf(double ns, int from) const {
        int k = std::max(0, from);
        while (k < count - 1 && edge(k + 1) <= ns)
            ++k;
        return k;
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
    bins.edges.resize(static_cast<std::size_t>(bins.count) + 1);
    for (int k = 0; k <= bins.count; ++k)
        bins.edges[static_cast<std::size_t>(k)] =
            std::pow(10.0, static_cast<double>(bins.first + k) / bins.perDecade);
    return bins;
}

// Share of samples (%) per bin. A bucket straddling bin edges is split in proportion to the
// overlap, assuming its samples spread evenly over its range: without that, bins narrower than a
// bucket would alternate between full and empty and draw a comb.
std::vector<double> binShares(const le::Histogram& h, const Bins& bins) {
    std::vector<double> counts(static_cast<std::size_t>(bins.count), 0.0);
    const std::size_t first = le::Histogram::index_of(h.min());
    const std::size_t last = le::Histogram::index_of(h.max());
    int cursor = 0; // the bin of the previous bucket's lower end
    for (std::size_t i = first; i <= last; ++i) {
        const auto n = static_cast<double>(h.count_at_index(i));
        if (n == 0)
            continue;
        const double a = std::max(1.0, static_cast<double>(le::Histogram::lowest_equivalent(i)));
        const double b = std::max(a, static_cast<double>(le::Histogram::highest_equivalent(i)) + 1);
        const int ka = cursor = bins.binOf(a, cursor);
        const int kb = b > a ? bins.binOf(std::nextafter(b, 0.0), ka) : ka;
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
    if (series.isEmpty()) {
        updateMarkers(nullptr);
        return;
    }

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
    updateMarkers(series.front().live ? series.front().histogram : nullptr);
}

void HistogramPlot::updateMarkers(const le::Histogram* live) {
    struct Marker {
        const char* label;
        double percentile;
    };
    static constexpr std::array<Marker, 3> kMarkers = {{{"p50", 50.0}, {"p99", 99.0}, {"p99.9", 99.9}}};
    int row = 0;
    for (const Marker& m : kMarkers) {
        if (!live || !le::percentile_drawn(live->count(), m.percentile))
            continue; // fewer than 10 samples above it: the curves leave it out too
        const double us = static_cast<double>(live->value_at_percentile(m.percentile)) / 1e3;
        if (!(us > 0))
            continue; // not placeable on the log axis
        // One row each: p99 and p99.9 are often close enough for their labels to collide.
        const QString text = QStringLiteral("%1 %2").arg(QLatin1String(m.label), formatMicros(us));
        if (row < m_markers.size())
            moveMarker(m_markers[row], us, text, row);
        else
            m_markers << addMarker(this, us, text, row);
        ++row;
    }
    while (m_markers.size() > row) {
        const PlotMarker gone = m_markers.takeLast();
        removeItem(gone.line);
        removeItem(gone.label);
    }
}
