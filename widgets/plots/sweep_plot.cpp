#include "sweep_plot.h"

#include "plot_runs.h"
#include "units.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace {

constexpr int kLegendColumns = 4;
constexpr double kBandLow = 10, kBandHigh = 90, kMarker = 99;

// Log ticks labelled as people write rates (1k, 10k, 1M) or plain numbers (µs).
class SweepLogTicker : public QCPAxisTickerLog {
public:
    explicit SweepLogTicker(bool si)
        : m_si(si) {}

protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override {
        if (m_si && tick >= 1)
            return QString::fromStdString(le::format_rate(tick));
        return QString::number(tick, 'g', 6);
    }

private:
    bool m_si;
};

double valueUs(const le::Histogram& h, double p) {
    if (h.empty())
        return qQNaN();
    return (p >= 100 ? h.max() : h.value_at_percentile(p)) / 1000.0;
}

QString seriesLabel(const le::SweepPointResult& p, bool engine, bool transport, bool tasks, bool payload) {
    if (p.icmp)
        return QStringLiteral("ICMP (system ping)");
    QStringList parts;
    if (engine)
        parts << QString::fromStdString(p.engine);
    if (transport)
        parts << QString::fromStdString(p.transport);
    if (tasks)
        parts << QStringLiteral("%1 tasks").arg(p.tasks);
    if (payload)
        parts << QString::fromStdString(le::format_size(p.payload));
    return parts.join(QLatin1Char('/'));
}

// Range of `values` widened by half a decade at each end, so the points sit inside the frame.
QCPRange logRange(const QList<double>& values, QCPRange fallback) {
    double lo = std::numeric_limits<double>::max(), hi = 0;
    for (double v : values)
        if (std::isfinite(v) && v > 0) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (hi <= 0)
        return fallback;
    return QCPRange(lo / 1.6, hi * 1.6);
}

void styleAxisLabels(QCustomPlot* plot) {
    plot->xAxis->grid()->setSubGridVisible(true);
    plot->yAxis->grid()->setSubGridVisible(true);
}

} // namespace

QString percentileName(double p) {
    if (p >= 100)
        return QStringLiteral("max");
    return QStringLiteral("p%1").arg(p);
}

void setSweepLogAxis(QCPAxis* axis, const QString& label) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<SweepLogTicker>::create(axis->orientation() == Qt::Horizontal));
    axis->setLabel(label);
}

QList<SweepCurve> sweepCurves(const QList<SweepData>& sweeps) {
    // What varies over all sweeps decides which parts the labels need.
    std::set<std::string> engines, transports;
    std::set<int> tasks;
    std::set<std::size_t> payloads;
    for (const auto& s : sweeps)
        for (const auto& p : s.file->points)
            if (!p.icmp) {
                engines.insert(p.engine);
                transports.insert(p.transport);
                tasks.insert(p.tasks);
                payloads.insert(p.payload);
            }
    QList<SweepCurve> curves;
    for (int si = 0; si < sweeps.size(); ++si) {
        // series -> target rate -> merged repetitions
        std::map<std::string, std::map<double, SweepCurvePoint>> grouped;
        std::map<std::string, std::pair<le::SweepPointResult, int>> examples;
        std::map<std::string, std::map<double, int>> reps;
        std::vector<std::string> order;
        for (const auto& p : sweeps[si].file->points) {
            if (!p.ok())
                continue;
            const std::string series = p.series();
            if (!examples.contains(series)) {
                order.push_back(series);
                examples[series] = {p, 0};
            }
            SweepCurvePoint& c = grouped[series][p.target_rate];
            c.target_rate = p.target_rate;
            c.achieved_rate += p.achieved_rate;
            c.rtt.add(p.rtt);
            c.received += p.received;
            ++reps[series][p.target_rate];
        }
        for (const std::string& series : order) {
            SweepCurve curve;
            curve.sweep = si;
            curve.example = examples[series].first;
            curve.icmp = curve.example.icmp;
            curve.name = seriesLabel(curve.example, true, true, tasks.size() > 1, payloads.size() > 1);
            if (!sweeps[si].name.isEmpty() && sweeps.size() > 1)
                curve.name = QStringLiteral("%1: %2").arg(sweeps[si].name, curve.name);
            for (auto& [rate, point] : grouped[series]) {
                point.achieved_rate /= reps[series][rate];
                curve.points << point;
            }
            std::sort(curve.points.begin(), curve.points.end(),
                      [](const auto& a, const auto& b) { return a.achieved_rate < b.achieved_rate; });
            curves << curve;
        }
    }
    return curves;
}

SweepPlot::SweepPlot(QWidget* parent)
    : QCustomPlot(parent)
    , m_empty(new QCPItemText(this))
    , m_key(new QCPItemText(this)) {
    setSweepLogAxis(xAxis, tr("achieved rate (msg/s)"));
    setSweepLogAxis(yAxis, tr("RTT (µs)"));
    xAxis->setRange(1, 1e6);
    yAxis->setRange(1, 1000);
    applyPlotStyle(this);
    styleAxisLabels(this);
    placeLegendAbove(this);
    legend->setVisible(true);
    m_empty->setPositionAlignment(Qt::AlignCenter);
    m_empty->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_empty->position->setCoords(0.5, 0.5);
    m_empty->setText(tr("No sweep yet: start one, or load a saved sweep"));
    m_empty->setColor(plotInkColour(this, 0.6));
    // What the marks mean, in the corner where the low-rate, high-RTT end rarely has points.
    m_key->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_key->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_key->position->setCoords(0.99, 0.02);
    m_key->setColor(plotInkColour(this, 0.8));
    // A series hidden from the legend takes its band and markers with it.
    connect(this, &QCustomPlot::legendClick, this, [this] {
        for (int i = 0; i < m_lines.size(); ++i)
            for (int k = 1; k <= 3; ++k)
                if (QCPGraph* g = graph(4 * i + k))
                    g->setVisible(m_lines[i]->visible() && (k == 3 ? m_markers : m_band));
        replot(QCustomPlot::rpQueuedReplot);
    });
}

void SweepPlot::setSweeps(const QList<SweepData>& sweeps) {
    m_sweeps = sweeps;
    m_dirty = true;
}

void SweepPlot::setLinePercentile(double p) {
    m_line = p;
    m_dirty = true;
    refresh(true);
}

void SweepPlot::setBandVisible(bool on) {
    m_band = on;
    m_dirty = true;
    refresh(true);
}

void SweepPlot::setMarkersVisible(bool on) {
    m_markers = on;
    m_dirty = true;
    refresh(true);
}

QCPGraph* SweepPlot::lineGraph(int curve) const {
    return curve >= 0 && curve < m_lines.size() ? m_lines[curve] : nullptr;
}

void SweepPlot::refresh(bool force) {
    if (!m_dirty || (!force && !isVisible()))
        return;
    rebuild();
    replot(QCustomPlot::rpQueuedReplot);
}

void SweepPlot::rebuild() {
    m_dirty = false;
    m_curves = sweepCurves(m_sweeps);
    clearGraphs();
    m_lines.clear();
    QList<double> xs, ys;
    for (int i = 0; i < m_curves.size(); ++i) {
        const SweepCurve& c = m_curves[i];
        const QColor colour = runColour(i);
        QPen pen(colour, c.icmp ? 1.6 : 2.0, c.icmp ? Qt::DashLine : Qt::SolidLine);
        if (c.sweep > 0) // overlays of loaded sweeps: thinner, so the current one stands out
            pen.setWidthF(1.3);
        QCPGraph* line =
            seriesGraph(this, graphCount(), QStringLiteral("%1 %2").arg(c.name, percentileName(m_line)), pen);
        line->setScatterStyle(QCPScatterStyle(
            c.sweep > 0 ? QCPScatterStyle::ssTriangle : QCPScatterStyle::ssDisc, c.icmp ? 4 : 5));
        QCPGraph* lo = addGraph();
        QCPGraph* hi = addGraph();
        QCPGraph* marks = addGraph();
        for (QCPGraph* g : {lo, hi, marks})
            g->removeFromLegend();
        lo->setPen(Qt::NoPen);
        hi->setPen(Qt::NoPen);
        QColor fill = colour;
        fill.setAlpha(45);
        hi->setBrush(fill);
        hi->setChannelFillGraph(lo);
        marks->setPen(QPen(colour, 1.4));
        marks->setLineStyle(QCPGraph::lsNone);
        marks->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, colour, 7));
        QVector<double> keys, line_v, lo_v, hi_v, mark_v;
        for (const SweepCurvePoint& p : c.points) {
            keys << p.achieved_rate;
            line_v << valueUs(p.rtt, m_line);
            lo_v << valueUs(p.rtt, kBandLow);
            hi_v << valueUs(p.rtt, kBandHigh);
            mark_v << valueUs(p.rtt, kMarker);
            xs << p.achieved_rate;
            ys << line_v.back();
            if (m_band)
                ys << lo_v.back() << hi_v.back();
            if (m_markers)
                ys << mark_v.back();
        }
        line->setData(keys, line_v, true);
        lo->setData(keys, lo_v, true);
        hi->setData(keys, hi_v, true);
        marks->setData(keys, mark_v, true);
        lo->setVisible(m_band && line->visible());
        hi->setVisible(m_band && line->visible());
        marks->setVisible(m_markers && line->visible());
        m_lines << line;
    }
    // Both axes span what was measured: the x ticks are achieved rates' decades, never the targets'.
    xAxis->setRange(logRange(xs, QCPRange(1, 1e6)));
    yAxis->setRange(logRange(ys, QCPRange(1, 1000)));
    m_empty->setVisible(m_curves.isEmpty());
    QStringList what{tr("line: %1").arg(percentileName(m_line))};
    if (m_band)
        what << tr("band: p10–p90");
    if (m_markers)
        what << tr("✕: p99");
    m_key->setText(what.join(QStringLiteral("  ·  ")));
    m_key->setVisible(!m_curves.isEmpty());
}

void SweepPlot::updateLayout() {
    fitLegendColumns(this, kLegendColumns);
    QCustomPlot::updateLayout();
}

SweepTasksPlot::SweepTasksPlot(QWidget* parent)
    : QCustomPlot(parent) {
    setSweepLogAxis(yAxis, tr("RTT (µs)"));
    xAxis->setLabel(tr("compute tasks"));
    applyPlotStyle(this);
    styleAxisLabels(this);
    placeLegendAbove(this);
    legend->setVisible(true);
}

void SweepTasksPlot::setSweeps(const QList<SweepData>& sweeps) {
    m_sweeps = sweeps;
    m_dirty = true;
}

void SweepTasksPlot::setRate(double rate) {
    m_rate = rate;
    m_dirty = true;
    refresh(true);
}

void SweepTasksPlot::setLinePercentile(double p) {
    m_line = p;
    m_dirty = true;
    refresh(true);
}

void SweepTasksPlot::refresh(bool force) {
    if (!m_dirty || (!force && !isVisible()))
        return;
    m_dirty = false;
    clearGraphs();
    const QList<SweepCurve> curves = sweepCurves(m_sweeps);
    std::set<int> taskSet;
    for (const auto& s : m_sweeps)
        for (const auto& p : s.file->points)
            if (!p.icmp && p.ok() && p.target_rate == m_rate)
                taskSet.insert(p.tasks);
    const std::vector<int> taskList(taskSet.begin(), taskSet.end());
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (std::size_t i = 0; i < taskList.size(); ++i)
        ticker->addTick(double(i), QString::number(taskList[i]));
    xAxis->setTicker(ticker);
    xAxis->setRange(-0.5, std::max<double>(0.5, double(taskList.size()) - 0.5));
    // One line per engine x transport x payload (x sweep), through its task counts at this rate.
    std::map<QString, std::map<int, const SweepCurvePoint*>> lines;
    std::map<QString, int> colourOf;
    QList<double> ys;
    for (int i = 0; i < curves.size(); ++i) {
        const SweepCurve& c = curves[i];
        if (c.icmp)
            continue;
        QString name = QStringLiteral("%1/%2").arg(QString::fromStdString(c.example.engine),
                                                   QString::fromStdString(c.example.transport));
        if (!m_sweeps[c.sweep].name.isEmpty() && m_sweeps.size() > 1)
            name = QStringLiteral("%1: %2").arg(m_sweeps[c.sweep].name, name);
        for (const SweepCurvePoint& p : c.points)
            if (p.target_rate == m_rate)
                lines[name][c.example.tasks] = &p;
        if (!colourOf.contains(name))
            colourOf[name] = int(colourOf.size());
    }
    for (const auto& [name, byTasks] : lines) {
        const QColor colour = runColour(colourOf[name]);
        QCPGraph* line = seriesGraph(
            this, graphCount(), QStringLiteral("%1 %2").arg(name, percentileName(m_line)), QPen(colour, 2.0));
        line->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
        QCPGraph* marks = addGraph();
        marks->setName(QStringLiteral("%1 p99").arg(name));
        marks->setLineStyle(QCPGraph::lsNone);
        marks->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, colour, 7));
        marks->setPen(QPen(colour, 1.4));
        QVector<double> keys, values, p99;
        for (const auto& [tasks, point] : byTasks) {
            keys << double(std::find(taskList.begin(), taskList.end(), tasks) - taskList.begin());
            values << valueUs(point->rtt, m_line);
            p99 << valueUs(point->rtt, 99);
            ys << values.back() << p99.back();
        }
        line->setData(keys, values, true);
        marks->setData(keys, p99, true);
    }
    yAxis->setRange(logRange(ys, QCPRange(1, 1000)));
    xAxis->setLabel(
        m_rate == le::kRateInf
            ? tr("compute tasks (back-to-back)")
            : tr("compute tasks (at %1 msg/s target)").arg(QString::fromStdString(le::format_rate(m_rate))));
    replot(QCustomPlot::rpQueuedReplot);
}

void SweepTasksPlot::updateLayout() {
    fitLegendColumns(this, kLegendColumns);
    QCustomPlot::updateLayout();
}
