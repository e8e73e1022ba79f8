#include "sweep_plot.h"

#include "plot_colours.h"
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

// Log axis whose tick labels read 1, 10, 100, 1k, 10k, 1M (rates) or plain µs values.
void setSweepLogAxis(QCPAxis* axis, const QString& label) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<SweepLogTicker>::create(axis->orientation() == Qt::Horizontal));
    axis->setLabel(label);
}

} // namespace

SweepFigure::SweepFigure(QWidget* parent)
    : PlotBase(kLegendColumns, parent) {
    setSweepLogAxis(yAxis, tr("RTT (µs)"));
    xAxis->grid()->setSubGridVisible(true);
    yAxis->grid()->setSubGridVisible(true);
}

void SweepFigure::setSweeps(const QList<SweepData>& sweeps) {
    m_sweeps = sweeps;
    m_dirty = true;
}

void SweepFigure::setLinePercentile(double p) {
    m_line = p;
    redrawNow();
}

void SweepFigure::redrawNow() {
    m_dirty = true;
    refresh(true);
}

void SweepFigure::redraw() {
    m_dirty = false;
    drawFigure();
}

SweepPlot::SweepPlot(QWidget* parent)
    : SweepFigure(parent)
    , m_empty(new QCPItemText(this))
    , m_key(new QCPItemText(this)) {
    setSweepLogAxis(xAxis, tr("achieved rate (msg/s)"));
    xAxis->setRange(1, 1e6);
    yAxis->setRange(1, 1000);
    m_empty->setPositionAlignment(Qt::AlignCenter);
    m_empty->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_empty->position->setCoords(0.5, 0.5);
    // Two short lines: one long line was clipped by the axis rect of a 1280-pixel window.
    m_empty->setText(tr("No sweep yet:\nstart one, or load a saved sweep"));
    m_empty->setTextAlignment(Qt::AlignCenter);
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

void SweepPlot::setBandVisible(bool on) {
    m_band = on;
    redrawNow();
}

void SweepPlot::setMarkersVisible(bool on) {
    m_markers = on;
    redrawNow();
}

void SweepPlot::drawFigure() {
    const QList<SweepCurve> curves = sweepCurves(sweeps());
    clearGraphs();
    m_lines.clear();
    QList<double> xs, ys;
    for (int i = 0; i < curves.size(); ++i) {
        const SweepCurve& c = curves[i];
        const QColor colour = runColour(i);
        QPen pen(colour, c.icmp ? 1.6 : 2.0, c.icmp ? Qt::DashLine : Qt::SolidLine);
        if (c.sweep > 0) // overlays of loaded sweeps: thinner, so the current one stands out
            pen.setWidthF(1.3);
        QCPGraph* line = seriesGraph(
            graphCount(), QStringLiteral("%1 %2").arg(c.name, percentileName(linePercentile())), pen);
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
            line_v << valueUs(p.rtt, linePercentile());
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
    m_empty->setVisible(curves.isEmpty());
    QStringList what{tr("line: %1").arg(percentileName(linePercentile()))};
    if (m_band)
        what << tr("band: p10–p90");
    if (m_markers)
        what << tr("✕: p99");
    m_key->setText(what.join(QStringLiteral("  ·  ")));
    m_key->setVisible(!curves.isEmpty());
}

SweepTasksPlot::SweepTasksPlot(QWidget* parent)
    : SweepFigure(parent) {
    xAxis->setLabel(tr("compute tasks"));
}

void SweepTasksPlot::setRate(double rate) {
    m_rate = rate;
    redrawNow();
}

void SweepTasksPlot::drawFigure() {
    clearGraphs();
    const QList<SweepCurve> curves = sweepCurves(sweeps());
    std::set<int> taskSet;
    for (const auto& s : sweeps())
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
        if (!sweeps()[c.sweep].name.isEmpty() && sweeps().size() > 1)
            name = QStringLiteral("%1: %2").arg(sweeps()[c.sweep].name, name);
        for (const SweepCurvePoint& p : c.points)
            if (p.target_rate == m_rate)
                lines[name][c.example.tasks] = &p;
        if (!colourOf.contains(name))
            colourOf[name] = int(colourOf.size());
    }
    for (const auto& [name, byTasks] : lines) {
        const QColor colour = runColour(colourOf[name]);
        QCPGraph* line =
            seriesGraph(graphCount(), QStringLiteral("%1 %2").arg(name, percentileName(linePercentile())),
                        QPen(colour, 2.0));
        line->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
        QCPGraph* marks = addGraph();
        marks->setName(QStringLiteral("%1 p99").arg(name));
        marks->setLineStyle(QCPGraph::lsNone);
        marks->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, colour, 7));
        marks->setPen(QPen(colour, 1.4));
        QVector<double> keys, values, p99;
        for (const auto& [tasks, point] : byTasks) {
            keys << double(std::find(taskList.begin(), taskList.end(), tasks) - taskList.begin());
            values << valueUs(point->rtt, linePercentile());
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
}
