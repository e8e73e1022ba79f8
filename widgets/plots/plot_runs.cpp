#include "plot_runs.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QFontMetricsF>
#include <QMetaMethod>
#include <QSet>

#include <algorithm>
#include <array>
#include <cmath>

namespace {

// Mid-luminance hues: each keeps >= 2.9:1 contrast against white and against a #1e1e1e dark
// background, so thin lines stay visible in both modes. Index 0 (the live run) is the calm blue.
constexpr std::array<QRgb, 8> kRunColours = {0x2f80ed, 0xe07010, 0x219a52, 0xd6336c,
                                             0x8e5cd9, 0x00a3a3, 0xa88a0a, 0x8d6e63};

constexpr const char* kMarkerLinesLayer = "markerLines";
constexpr const char* kMarkerLabelsLayer = "markerLabels";

// WCAG relative luminance: what contrast against a background depends on.
double luminance(const QColor& c) {
    const auto channel = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

// Where the user's legend-click choices live: on the plot itself, so nothing outlives it.
constexpr const char* kHiddenSeriesProperty = "le_hiddenSeries";

QColor mix(const QColor& a, const QColor& b, double weight) {
    const double w = std::clamp(weight, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() * w + b.redF() * (1 - w)),
                            static_cast<float>(a.greenF() * w + b.greenF() * (1 - w)),
                            static_cast<float>(a.blueF() * w + b.blueF() * (1 - w)));
}

// Name alone is not unique (an overlay saved from a run called "live" meets the live run), the
// pen tells the runs apart.
QString seriesKey(const QString& name, const QPen& pen) {
    return name + QChar(0x1f) + pen.color().name(QColor::HexArgb) + QChar(0x1f) +
           QString::number(static_cast<int>(pen.style()));
}

QSet<QString> hiddenSeries(const QCustomPlot* plot) {
    const QStringList list = plot->property(kHiddenSeriesProperty).toStringList();
    return QSet<QString>(list.begin(), list.end());
}

void setHiddenSeries(QCustomPlot* plot, const QSet<QString>& hidden) {
    plot->setProperty(kHiddenSeriesProperty, QStringList(hidden.begin(), hidden.end()));
}

// Hidden series keep their legend entry, greyed, so the user can click it back.
void colourLegendEntry(QCustomPlot* plot, QCPAbstractPlottable* plottable) {
    if (auto* item = plot->legend->itemWithPlottable(plottable))
        item->setTextColor(plotInkColour(plot, plottable->visible() ? 1.0 : 0.4));
}

// Dashed, half-way between text and background: visible, but quieter than the data.
void styleMarkerLine(QCPItemStraightLine* line, const QCustomPlot* plot) {
    line->setPen(QPen(plotInkColour(plot, 0.6), 1, Qt::DashLine));
}

void styleMarkerLabel(QCPItemText* label, const QCustomPlot* plot) {
    QColor fill = plot->palette().color(QPalette::Base);
    fill.setAlpha(210); // readable over the curves, which still show through
    label->setColor(plotInkColour(plot));
    label->setBrush(fill);
    label->setFont(plot->font());
}

void applyColours(QCustomPlot* plot) {
    const QPalette& palette = plot->palette();
    const QColor text = palette.color(QPalette::Text);
    const QColor base = palette.color(QPalette::Base);
    const QFont font = plot->font();

    plot->setBackground(base);
    for (QCPAxisRect* rect : plot->axisRects()) {
        for (QCPAxis* axis : rect->axes()) {
            axis->setBasePen(QPen(mix(text, base, 0.55), 1));
            axis->setTickPen(QPen(mix(text, base, 0.55), 1));
            axis->setSubTickPen(QPen(mix(text, base, 0.4), 1));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            axis->setTickLabelFont(font);
            axis->setLabelFont(font);
            axis->grid()->setPen(QPen(mix(text, base, 0.2), 0, Qt::SolidLine));
            axis->grid()->setSubGridPen(QPen(mix(text, base, 0.08), 0, Qt::SolidLine));
            axis->grid()->setZeroLinePen(Qt::NoPen);
        }
    }
    QColor legendFill = base;
    legendFill.setAlpha(225); // curves behind the legend stay faintly visible
    plot->legend->setBrush(legendFill);
    plot->legend->setBorderPen(QPen(mix(text, base, 0.3), 1));
    plot->legend->setTextColor(text);
    plot->legend->setFont(font);
    for (int i = 0; i < plot->legend->itemCount(); ++i) {
        if (auto* item = plot->legend->item(i)) // a wrapped legend has empty cells
            item->setFont(font);
    }
    for (int i = 0; i < plot->plottableCount(); ++i)
        colourLegendEntry(plot, plot->plottable(i));
    // Markers too, so a palette switch does not wait for the plot to rebuild them.
    if (QCPLayer* layer = plot->layer(kMarkerLinesLayer)) {
        for (QCPLayerable* item : layer->children()) {
            if (auto* line = qobject_cast<QCPItemStraightLine*>(item))
                styleMarkerLine(line, plot);
        }
    }
    if (QCPLayer* layer = plot->layer(kMarkerLabelsLayer)) {
        for (QCPLayerable* item : layer->children()) {
            if (auto* label = qobject_cast<QCPItemText*>(item))
                styleMarkerLabel(label, plot);
        }
    }
}

// A queued call, so the plot refreshes after the event that triggered it has fully propagated.
void queueRefresh(QWidget* widget) {
    const int index = widget->metaObject()->indexOfMethod("refresh(bool)");
    if (index >= 0)
        widget->metaObject()->method(index).invoke(widget, Qt::QueuedConnection, Q_ARG(bool, false));
}

// Follows the palette and font (a switch to dark mode must not leave black labels on black), and
// catches up a plot that skipped refreshes while it was hidden the moment it is shown.
class PlotStyler : public QObject {
public:
    explicit PlotStyler(QCustomPlot* plot)
        : QObject(plot)
        , m_plot(plot) {}

    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched != m_plot)
            return false;
        switch (event->type()) {
        case QEvent::PaletteChange:
        case QEvent::ApplicationPaletteChange:
        case QEvent::FontChange:
            applyColours(m_plot);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
            break;
        case QEvent::Show:
            queueRefresh(m_plot);
            break;
        default:
            break;
        }
        return false;
    }

private:
    QCustomPlot* m_plot;
};

void toggleSeries(QCustomPlot* plot, QCPAbstractPlottable* plottable) {
    QSet<QString> hidden = hiddenSeries(plot);
    const QString key = seriesKey(plottable->name(), plottable->pen());
    const bool hide = plottable->visible();
    if (hide)
        hidden.insert(key);
    else
        hidden.remove(key);
    setHiddenSeries(plot, hidden);
    plottable->setVisible(!hide);
    colourLegendEntry(plot, plottable);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

// Tick labels with units: "100 µs" reads faster than "100" plus an axis title, and stays right when
// the range crosses into milliseconds. Ticks stay labelled however narrow the range:
// QCPAxisTickerLog alone labels only powers of ten (a 20-400 µs axis gets one label, at 100 µs)
// and, below 1.6 decades, falls back to linear steps with a wall of sub-ticks at the top.
class LatencyTicker : public QCPAxisTickerLog {
protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override { return formatMicros(tick); }

    QVector<double> createTickVector(double tickStep, const QCPRange& range) override {
        m_mode = Mode::Decades;
        if (!(range.lower > 0) || !(range.upper > range.lower))
            return QCPAxisTickerLog::createTickVector(tickStep, range);
        const double decades = std::log10(range.upper / range.lower);
        if (decades > 3.5)
            return QCPAxisTickerLog::createTickVector(tickStep, range);
        if (decades < 0.25) {
            m_mode = Mode::Linear;
            return QCPAxisTicker::createTickVector(tickStep, range);
        }
        // Steps that are roughly even on a log axis, so labels neither crowd nor thin out at one end.
        m_mode = Mode::Mantissas;
        if (decades > 1.2)
            m_mantissas = {1, 2, 5};
        else if (decades > 0.8)
            m_mantissas = {1, 2, 3, 5, 7};
        else
            m_mantissas = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8};
        QVector<double> ticks; // generate() trims to the range
        for (int k = static_cast<int>(std::floor(std::log10(range.lower)));
             k <= static_cast<int>(std::ceil(std::log10(range.upper))); ++k) {
            for (double m : std::as_const(m_mantissas))
                ticks << m * std::pow(10.0, k);
        }
        return ticks;
    }

    int getSubTickCount(double tickStep) override {
        return m_mode == Mode::Linear ? QCPAxisTicker::getSubTickCount(tickStep)
                                      : QCPAxisTickerLog::getSubTickCount(tickStep);
    }

    // Between 1-2-5 ticks the minor ticks are the remaining integers of the decade (3, 4, 6, ...),
    // as on log paper.
    QVector<double> createSubTickVector(int subTickCount, const QVector<double>& ticks) override {
        if (m_mode != Mode::Mantissas || ticks.size() < 2)
            return QCPAxisTickerLog::createSubTickVector(subTickCount, ticks);
        QVector<double> sub;
        const int first = static_cast<int>(std::floor(std::log10(ticks.front())));
        const int last = static_cast<int>(std::ceil(std::log10(ticks.back())));
        for (int k = first; k <= last; ++k) {
            for (int m = 1; m <= 9; ++m) {
                const double v = m * std::pow(10.0, k);
                if (v > ticks.front() && v < ticks.back() && !m_mantissas.contains(m))
                    sub << v;
            }
        }
        return sub;
    }

private:
    enum class Mode { Decades, Mantissas, Linear };
    Mode m_mode = Mode::Decades;
    QVector<double> m_mantissas;
};

// Chooses its row offset and its side of the marker line when drawn, from the layout of that moment:
// right for the on-screen size and for an export at another size alike.
class MarkerLabel : public QCPItemText {
public:
    MarkerLabel(QCustomPlot* plot, int row)
        : QCPItemText(plot)
        , m_row(row) {}

protected:
    void draw(QCPPainter* painter) override {
        const QRect rect = position->axisRect() ? position->axisRect()->rect() : QRect();
        if (rect.width() > 0 && rect.height() > 0) {
            const QFontMetricsF metrics(font());
            const double lineHeight = metrics.height() + padding().top() + padding().bottom() + 2;
            position->setCoords(position->key(), (3 + m_row * lineHeight) / rect.height());
            const double x = position->pixelPosition().x();
            const double width = metrics.horizontalAdvance(text()) + padding().left() + padding().right();
            const bool left = x + width > rect.right() && x - rect.left() > rect.right() - x;
            setPositionAlignment(Qt::AlignTop | (left ? Qt::AlignRight : Qt::AlignLeft));
        }
        QCPItemText::draw(painter);
    }

private:
    int m_row;
};

double roundSignificant(double value, int digits) {
    if (value == 0 || !std::isfinite(value))
        return value;
    const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(std::abs(value))));
    return std::round(value * scale) / scale;
}

// The window's nominal span, not what it holds yet: the legend name stays the same from the first
// interval on, and with it the key of the user's hide/show choice.
QString windowSpan(const le::RunHistory& run) {
    const auto& intervals = run.intervals();
    const double seconds =
        intervals.empty() ? 0.0 : intervals.back().duration_s * static_cast<double>(run.window_intervals());
    return seconds > 0 ? QStringLiteral("last %1").arg(formatMicros(seconds * 1e6))
                       : QStringLiteral("last %1 intervals").arg(run.window_intervals());
}

} // namespace

QColor runColour(int index) {
    const int n = static_cast<int>(kRunColours.size());
    const int i = std::max(0, index);
    QColor colour(kRunColours[static_cast<std::size_t>(i % n)]);
    if (i < n)
        return colour;
    // Past the fixed set, shift the hue per round, then walk the lightness back into the band of
    // relative luminance that keeps the contrast of the fixed set (hue alone moves luminance a lot).
    const int hue = (colour.hslHue() + 23 * (i / n)) % 360;
    int lightness = colour.lightness();
    for (int step = 0; step < 64; ++step) {
        colour = QColor::fromHsl(hue, colour.hslSaturation(), lightness);
        const double l = luminance(colour);
        if (l < 0.14)
            lightness += 3;
        else if (l > 0.30)
            lightness -= 3;
        else
            break;
    }
    return colour;
}

void applyPlotStyle(QCustomPlot* plot) {
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->setNoAntialiasingOnDrag(true); // dragging a long run stays smooth
    plot->legend->setVisible(true);
    plot->legend->setIconSize(QSize(22, 10));
    plot->legend->setRowSpacing(0);
    // Marker lines under the curves (like grid lines), their labels above them.
    plot->addLayer(kMarkerLinesLayer, plot->layer("grid"), QCustomPlot::limAbove);
    plot->addLayer(kMarkerLabelsLayer, plot->layer("main"), QCustomPlot::limAbove);
    applyColours(plot);
    plot->installEventFilter(new PlotStyler(plot));
    QObject::connect(plot, &QCustomPlot::legendClick, plot,
                     [plot](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
                         if (auto* entry = qobject_cast<QCPPlottableLegendItem*>(item))
                             toggleSeries(plot, entry->plottable());
                     });
}

QCPGraph* seriesGraph(QCustomPlot* plot, int index, const QString& name, const QPen& pen) {
    while (plot->graphCount() <= index) {
        QCPGraph* graph = plot->addGraph();
        if (auto* item = plot->legend->itemWithPlottable(graph))
            item->setFont(plot->font());
    }
    QCPGraph* graph = plot->graph(index);
    graph->setName(name);
    graph->setPen(pen);
    graph->setVisible(!hiddenSeries(plot).contains(seriesKey(name, pen)));
    colourLegendEntry(plot, graph);
    return graph;
}

void removeGraphsFrom(QCustomPlot* plot, int count) {
    while (plot->graphCount() > std::max(0, count))
        plot->removeGraph(plot->graphCount() - 1);
}

void placeLegendAbove(QCustomPlot* plot) {
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, plot->legend);
    plot->plotLayout()->setRowStretchFactor(0, 0.001); // as small as its entries allow
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
}

void fitLegendColumns(QCustomPlot* plot, int maxColumns) {
    QCPLegend* legend = plot->legend;
    int widest = 1;
    for (int i = 0; i < legend->itemCount(); ++i) {
        if (const QCPAbstractLegendItem* item = legend->item(i))
            widest = std::max(widest, item->minimumOuterSizeHint().width());
    }
    const int available = plot->viewport().width() - legend->margins().left() - legend->margins().right();
    const int columns =
        std::clamp(available / (widest + legend->columnSpacing()), 1, std::max(1, maxColumns));
    if (columns != legend->wrap()) {
        legend->setWrap(columns);
        legend->setFillOrder(legend->fillOrder(), true); // re-flows the entries into the new rows
    }
}

PlotMarker addMarker(QCustomPlot* plot, double key, const QString& text, int row) {
    PlotMarker marker;
    marker.line = new QCPItemStraightLine(plot);
    marker.line->setLayer(kMarkerLinesLayer);
    styleMarkerLine(marker.line, plot);
    marker.line->setSelectable(false);
    // Two points with the same key and any valid values: vertical on linear and log y axes alike.
    marker.line->point1->setCoords(key, 1);
    marker.line->point2->setCoords(key, 10);

    marker.label = new MarkerLabel(plot, row);
    marker.label->setLayer(kMarkerLabelsLayer);
    marker.label->setText(text);
    styleMarkerLabel(marker.label, plot);
    marker.label->setPadding(QMargins(3, 1, 3, 1));
    marker.label->setSelectable(false);
    marker.label->position->setAxes(plot->xAxis, plot->yAxis);
    marker.label->position->setTypeX(QCPItemPosition::ptPlotCoords);
    marker.label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    marker.label->position->setCoords(key, 0);
    marker.label->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
    return marker;
}

void setLatencyAxis(QCPAxis* axis) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<LatencyTicker>::create());
    axis->grid()->setSubGridVisible(true);
}

QString formatMicros(double us) {
    if (!std::isfinite(us))
        return QStringLiteral("–");
    // Rounded before the unit is picked, so 999.96 µs reads "1 ms" rather than "1e+03 µs".
    const double rounded = roundSignificant(us, 3);
    const double magnitude = std::abs(rounded);
    double value = rounded;
    const char* unit = "µs";
    if (magnitude > 0 && magnitude < 1) {
        value = rounded * 1e3;
        unit = "ns";
    } else if (magnitude >= 1e6) {
        value = rounded / 1e6;
        unit = "s";
    } else if (magnitude >= 1e3) {
        value = rounded / 1e3;
        unit = "ms";
    }
    value = roundSignificant(value, 3);
    const QString number =
        std::abs(value) >= 1000 ? QString::number(value, 'f', 0) : QString::number(value, 'g', 3);
    return number + QLatin1Char(' ') + QString::fromUtf8(unit);
}

QColor plotInkColour(const QWidget* plot, double weight) {
    const QPalette& palette = plot->palette();
    return mix(palette.color(QPalette::Text), palette.color(QPalette::Base), weight);
}

void refreshPlotsIn(QWidget* root, bool force) {
    if (!root)
        return;
    QList<QWidget*> widgets = root->findChildren<QWidget*>();
    widgets.prepend(root);
    for (QWidget* widget : widgets) {
        const int index = widget->metaObject()->indexOfMethod("refresh(bool)");
        if (index >= 0)
            widget->metaObject()->method(index).invoke(widget, Qt::DirectConnection, Q_ARG(bool, force));
    }
}

QList<HistogramSeries> histogramSeries(const PlotRuns& runs, bool wholeRun) {
    QList<HistogramSeries> out;
    if (runs.live) {
        const le::Histogram& h = wholeRun ? runs.live->whole_run() : runs.live->window();
        QString name = QString::fromStdString(runs.live->name());
        if (!wholeRun)
            name += QStringLiteral(" (%1)").arg(windowSpan(*runs.live));
        if (!h.empty())
            out.push_back({name, runColour(0), &h, true});
        // Bursts: the cold first round trip of each tick against the warm rest, as their own series.
        const le::Histogram& first = wholeRun ? runs.live->whole_first() : runs.live->window_first();
        const le::Histogram& rest = wholeRun ? runs.live->whole_rest() : runs.live->window_rest();
        if (!first.empty() && !rest.empty()) {
            out.push_back({QObject::tr("first of burst"), QColor(0x0b3d91), &first, false});
            out.push_back({QObject::tr("rest of burst"), QColor(0x6fa8dc), &rest, false});
        }
    }
    for (int i = 0; i < runs.overlays.size(); ++i) {
        const auto& run = runs.overlays[i];
        // The colour follows the overlay's position, so a run keeps its colour in every plot.
        if (run && !run->whole_run().empty())
            out.push_back({QString::fromStdString(run->name()), runColour(i + 1), &run->whole_run(), false});
    }
    return out;
}
