#include "plot_base.h"

#include "idle_drawing.h"
#include "legend_entry.h"
#include "live_graph.h"
#include "opaque_buffer.h"
#include "plot_colours.h"
#include "plot_marker.h"

#include <QEvent>
#include <QMetaObject>
#include <QPaintEvent>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

namespace {

// Name alone is not unique (an overlay saved from a run called "live" meets the live run), the
// pen tells the runs apart.
QString seriesKey(const QString& name, const QPen& pen) {
    return name + QChar(0x1f) + pen.color().name(QColor::HexArgb) + QChar(0x1f) +
           QString::number(static_cast<int>(pen.style()));
}

} // namespace

PlotBase::PlotBase(int legendColumns, QWidget* parent)
    : QCustomPlot(parent)
    , m_legendColumns(legendColumns) {
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setNoAntialiasingOnDrag(true); // dragging a long run stays smooth
    // A replot marks the widget dirty instead of painting and flushing it at once (QCustomPlot's
    // default): the window's plots, redrawn on one timer, reach the screen in one paint, not one each.
    setPlottingHint(QCP::phImmediateRefresh, false);
    // Curves stroked segment by segment on screen: a wide pen's polyline goes through QStroker and a
    // polygon fill, its segments through the raster engine's line rasteriser (a third of a step
    // curve's cost). Exports (vectorized, uncached) still draw true polylines.
    setPlottingHint(QCP::phFastPolylines, true);
    // Nothing is drawn on the overlay layer (no selection rectangle): as its own buffer it was cleared
    // and blended onto the widget at every redraw for nothing.
    if (QCPLayer* overlay = layer(QStringLiteral("overlay")))
        overlay->setMode(QCPLayer::lmLogical);
    // Put in place before the first replot, which then keeps it as its bottom buffer.
    mPaintBuffers.append(QSharedPointer<QCPAbstractPaintBuffer>(
        new OpaqueBuffer(viewport().size(), bufferDevicePixelRatio(), [this] {
            QColor c = mBackgroundBrush.color();
            c.setAlpha(255);
            return c;
        })));
    setAttribute(Qt::WA_OpaquePaintEvent); // the buffer covers the widget: nothing to paint under it
    // Every replot leaves the state a strip drawn on its own must find (drawAppended()).
    connect(this, &QCustomPlot::afterReplot, this, [this] { m_replotted = replotState(); });
    legend->setVisible(true);
    legend->setIconSize(QSize(22, 10));
    legend->setRowSpacing(0);
    addMarkerLayers(this);
    applyColours();
    connect(this, &QCustomPlot::legendClick, this,
            [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
                if (auto* entry = qobject_cast<QCPPlottableLegendItem*>(item))
                    toggleSeries(entry->plottable());
            });
    if (m_legendColumns > 0) {
        plotLayout()->insertRow(0);
        plotLayout()->addElement(0, 0, legend);
        plotLayout()->setRowStretchFactor(0, 0.001); // as small as its entries allow
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    }
}

void PlotBase::refresh(bool force) {
    if ((!force && !isVisible()) || !needsRedraw())
        return;
    const int items = itemCount();
    const double drawnUpTo = lastKeyOf(appendingGraphs(), true);
    redraw();
    const double newest = lastKeyOf(appendingGraphs(), false);
    const bool strip = onlyAppended() && itemCount() == items && std::isfinite(drawnUpTo) &&
                       newest > drawnUpTo && drawAppended(drawnUpTo, newest);
    if (!strip)
        replot(QCustomPlot::rpRefreshHint); // draws the buffers now (exports read them), paints later
    emit redrawn();
}

void PlotBase::paintEvent(QPaintEvent* event) {
    const IdleDrawing::Scope drawing; // a paint only draws (idle_drawing.h)
    if (mPaintBuffers.isEmpty() || !dynamic_cast<OpaqueBuffer*>(mPaintBuffers.front().data())) {
        QCustomPlot::paintEvent(event);
        return;
    }
    // QCustomPlot's own paint fills the background, then blends its buffers over it; the opaque
    // bottom buffer already holds the background.
    QCPPainter painter(this);
    if (!painter.isActive())
        return;
    for (const QSharedPointer<QCPAbstractPaintBuffer>& buffer : std::as_const(mPaintBuffers))
        buffer->draw(&painter);
}

void PlotBase::setLiveDrawing(bool live) {
    m_liveDrawing = live;
    // The grid and axes stay antialiased (cheap: straight lines); curves, fills and items are the cost.
    setNotAntialiasedElements(live ? QCP::aePlottables | QCP::aeFills | QCP::aeItems : QCP::aeNone);
}

SmoothDrawing::SmoothDrawing(QWidget* root) {
    QList<PlotBase*> plots = root->findChildren<PlotBase*>();
    if (auto* self = qobject_cast<PlotBase*>(root))
        plots.prepend(self);
    for (PlotBase* plot : std::as_const(plots)) {
        if (!plot->liveDrawing())
            continue;
        plot->setLiveDrawing(false);
        plot->replot(QCustomPlot::rpRefreshHint);
        m_live << plot;
    }
}

SmoothDrawing::~SmoothDrawing() {
    for (PlotBase* plot : std::as_const(m_live))
        plot->setLiveDrawing(true); // the next redraw draws it live again
}

QCPGraph* PlotBase::seriesGraph(int index, const QString& name, const QPen& pen) {
    while (graphCount() <= index) {
        auto* graph = new LiveGraph(xAxis, yAxis); // registers itself with the plot, which owns it
        // Our entry in place of QCustomPlot's (legend_entry.h), in the same place: the last.
        if (QCPPlottableLegendItem* item = legend->itemWithPlottable(graph))
            legend->removeItem(item);
        auto* entry = new LegendEntry(legend, graph); // owned by the legend
        legend->addItem(entry);
        entry->setFont(font());
    }
    QCPGraph* graph = this->graph(index);
    graph->setName(name);
    graph->setPen(pen);
    graph->setVisible(!m_hiddenSeries.contains(seriesKey(name, pen)));
    colourLegendEntry(graph);
    return graph;
}

void PlotBase::removeGraphsFrom(int count) {
    while (graphCount() > std::max(0, count))
        removeGraph(graphCount() - 1);
}

bool PlotBase::event(QEvent* event) {
    switch (event->type()) {
    case QEvent::PaletteChange:
    case QEvent::ApplicationPaletteChange:
    case QEvent::FontChange:
        applyColours();
        replot(QCustomPlot::rpQueuedReplot);
        break;
    case QEvent::Show:
        // Queued, so the plot refreshes after the event that showed it has fully propagated; it
        // catches up on what it skipped while hidden.
        QMetaObject::invokeMethod(
            this, [this] { refresh(false); }, Qt::QueuedConnection);
        break;
    default:
        break;
    }
    return QCustomPlot::event(event);
}

void PlotBase::updateLayout() {
    const bool entries = legend->itemCount() > 0;
    legend->setVisible(entries); // no empty box before the first series
    if (m_legendColumns > 0) {
        // A grid is at most as wide as the sum of its columns: an empty legend (no data yet) capped
        // the column it shares with the axis rect at its margins, and the plot shrank to a 50-pixel
        // box with its tick labels on top of each other. Its row is there only while it has entries.
        const bool inLayout = legend->layout() == plotLayout();
        if (entries && !inLayout) {
            plotLayout()->insertRow(0);
            plotLayout()->addElement(0, 0, legend);
            plotLayout()->setRowStretchFactor(0, 0.001); // as small as its entries allow
        } else if (!entries && inLayout) {
            plotLayout()->take(legend);
            plotLayout()->simplify();
        }
        if (entries)
            fitLegendColumns();
    }
    QCustomPlot::updateLayout();
}

void PlotBase::applyColours() {
    const QPalette& palette = this->palette();
    const QColor text = palette.color(QPalette::Text);
    const QColor base = palette.color(QPalette::Base);
    const QFont font = this->font();

    setBackground(base);
    for (QCPAxisRect* rect : axisRects()) {
        for (QCPAxis* axis : rect->axes()) {
            axis->setBasePen(QPen(mixColours(text, base, 0.55), 1));
            axis->setTickPen(QPen(mixColours(text, base, 0.55), 1));
            axis->setSubTickPen(QPen(mixColours(text, base, 0.4), 1));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            axis->setTickLabelFont(font);
            axis->setLabelFont(font);
            axis->grid()->setPen(QPen(mixColours(text, base, 0.2), 0, Qt::SolidLine));
            axis->grid()->setSubGridPen(QPen(mixColours(text, base, 0.08), 0, Qt::SolidLine));
            axis->grid()->setZeroLinePen(Qt::NoPen);
        }
    }
    QColor legendFill = base;
    legendFill.setAlpha(225); // curves behind the legend stay faintly visible
    legend->setBrush(legendFill);
    legend->setBorderPen(QPen(mixColours(text, base, 0.3), 1));
    legend->setTextColor(text);
    legend->setFont(font);
    for (int i = 0; i < legend->itemCount(); ++i) {
        if (auto* item = legend->item(i)) // a wrapped legend has empty cells
            item->setFont(font);
    }
    for (int i = 0; i < plottableCount(); ++i)
        colourLegendEntry(plottable(i));
    restyleMarkers(this);
}

// Hidden series keep their legend entry, greyed, so the user can click it back.
void PlotBase::colourLegendEntry(QCPAbstractPlottable* plottable) {
    if (auto* item = legend->itemWithPlottable(plottable))
        item->setTextColor(plotInkColour(this, plottable->visible() ? 1.0 : 0.4));
}

void PlotBase::toggleSeries(QCPAbstractPlottable* plottable) {
    const QString key = seriesKey(plottable->name(), plottable->pen());
    const bool hide = plottable->visible();
    if (hide)
        m_hiddenSeries.insert(key);
    else
        m_hiddenSeries.remove(key);
    plottable->setVisible(!hide);
    colourLegendEntry(plottable);
    replot(QCustomPlot::rpQueuedReplot);
}

void PlotBase::fitLegendColumns() {
    int widest = 1;
    for (int i = 0; i < legend->itemCount(); ++i) {
        if (const QCPAbstractLegendItem* item = legend->item(i))
            widest = std::max(widest, item->minimumOuterSizeHint().width());
    }
    const int available = viewport().width() - legend->margins().left() - legend->margins().right();
    const int columns =
        std::clamp(available / (widest + legend->columnSpacing()), 1, std::max(1, m_legendColumns));
    if (columns != legend->wrap()) {
        legend->setWrap(columns);
        legend->setFillOrder(legend->fillOrder(), true); // re-flows the entries into the new rows
    }
}
