#include "distribution_plot.h"

#include "latency_axis.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

// x = 1 / (1 - below/total) of the fraction of samples below: 0 -> 1, 90% -> 10, 99% -> 100, ...
// Written as total / (total - below) so the 1-in-N level is exactly N.
double ninesX(double below, double total) {
    return total / (total - below);
}

// "value at percentile" as a step curve: each bucket's value holds from the fraction of samples
// below it up to the next bucket. The curve ends at x = N, the 1-in-N level, where the run's
// largest sample sits; 1/(1 - 1) would be infinite.
void percentileCurve(const le::Histogram& h, QVector<double>& keys, QVector<double>& values) {
    const auto total = static_cast<double>(h.count());
    const double maxUs = std::max(1e-3, static_cast<double>(h.max()) / 1e3);
    const std::size_t first = le::Histogram::index_of(h.min());
    const std::size_t last = le::Histogram::index_of(h.max());
    double below = 0;
    for (std::size_t i = first; i <= last; ++i) {
        const auto n = static_cast<double>(h.count_at_index(i));
        if (n == 0)
            continue;
        // Highest equivalent, as value_at_percentile() reports it, but never past the exact extremes.
        const auto ns = std::clamp(le::Histogram::highest_equivalent(i), h.min(), h.max());
        keys << ninesX(below, total);
        values << std::max(1e-3, static_cast<double>(ns) / 1e3); // 0 ns cannot sit on a log axis
        below += n;
    }
    keys << total;
    values << maxUs;
}

} // namespace

DistributionPlot::DistributionPlot(QWidget* parent)
    : HistogramRunsPlot(0, parent) {
    xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    double x = 1;
    for (const char* label : {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%"}) {
        ticker->addTick(x, QString::fromLatin1(label));
        x *= 10;
    }
    // Linear sub-ticks between decades are exactly 2x, 3x, ... 9x: the usual log-axis minor ticks.
    ticker->setSubTickCount(8);
    xAxis->setTicker(ticker);
    xAxis->grid()->setSubGridVisible(true);
    xAxis->setLabel(tr("percentile"));
    setLatencyAxis(yAxis);
    yAxis->setLabel(tr("round-trip time"));
    xAxis->setRange(1, 1e4);
    yAxis->setRange(10, 1000);
    // The curves rise to the right: the top left corner is the emptiest.
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    watchUserRange();
}

void DistributionPlot::redraw() {
    const QList<HistogramSeries> series = this->series();
    removeGraphsFrom(static_cast<int>(series.size()));
    double xUpper = 10, yLower = std::numeric_limits<double>::max(), yUpper = 0;
    for (int s = 0; s < series.size(); ++s) {
        const HistogramSeries& run = series[s];
        QVector<double> keys, values;
        percentileCurve(*run.histogram, keys, values);
        QCPGraph* graph = seriesGraph(s, run.name, QPen(run.colour, run.live ? 2.0 : 1.5));
        graph->setLineStyle(QCPGraph::lsStepLeft);
        graph->setData(keys, values, true);
        xUpper = std::max(xUpper, keys.back());
        yLower = std::min(yLower, values.front());
        yUpper = std::max(yUpper, values.back());
    }
    if (autoRange() && !series.isEmpty()) {
        setOwnRange(xAxis, 1, xUpper * 1.5);
        setOwnRange(yAxis, yLower / 1.3, yUpper * 1.3);
    }
}
