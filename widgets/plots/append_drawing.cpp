// PlotBase::drawAppended(): the strip of new data drawn on its own, onto the last replot's image.
#include "opaque_buffer.h"
#include "plot_base.h"

#include <QImage>

#include <cmath>
#include <vector>

PlotBase::ReplotState PlotBase::replotState() {
    ReplotState state;
    state.x = xAxis->range();
    state.y = yAxis->range();
    state.axisRect = axisRect()->rect();
    state.viewport = viewport();
    state.items = itemCount();
    for (int i = 0; i < plottableCount(); ++i) {
        const QCPAbstractPlottable* p = plottable(i);
        state.pens << p->pen();
        state.names << p->name();
        state.visible << p->visible();
    }
    state.xLabel = xAxis->label();
    state.yLabel = yAxis->label();
    state.live = m_liveDrawing;
    return state;
}

double PlotBase::lastKeyOf(int graphs, bool earliest) {
    double key = qQNaN();
    for (int i = 0; i < graphs && i < graphCount(); ++i) {
        const auto& data = *graph(i)->data();
        if (data.isEmpty())
            continue;
        const double last = (data.constEnd() - 1)->key;
        if (std::isnan(key) || (earliest ? last < key : last > key))
            key = last;
    }
    return key;
}

namespace {

// A graph's points from the last before `from` to the first after `to`: all it draws in that span.
QSharedPointer<QCPGraphDataContainer> slice(const QCPGraphDataContainer& data, double from, double to) {
    auto out = QSharedPointer<QCPGraphDataContainer>::create();
    const QVector<QCPGraphData> points(data.findBegin(from, true), data.findEnd(to, true));
    out->add(points, true);
    return out;
}

} // namespace

bool PlotBase::drawAppended(double fromKey, double toKey) {
    auto* buffer =
        mPaintBuffers.size() == 1 ? dynamic_cast<OpaqueBuffer*>(mPaintBuffers.front().data()) : nullptr;
    // Smooth drawing is for what is presented (stopped runs, exports): always a whole replot there.
    if (!buffer || !m_liveDrawing || mReplotQueued || !m_replotted || bufferDevicePixelRatio() != 1.0 ||
        !std::isfinite(fromKey) || !std::isfinite(toKey) || *m_replotted != replotState())
        return false;
    const QRect rect = axisRect()->rect();
    // Non-antialiased strokes reach a pixel either side of their ends, and LiveGraph adds copies one
    // pixel right and down: two pixels of margin left, three right.
    const double from = std::min(xAxis->coordToPixel(fromKey), xAxis->coordToPixel(toKey));
    const double to = std::max(xAxis->coordToPixel(fromKey), xAxis->coordToPixel(toKey));
    const int left = std::max(rect.left(), static_cast<int>(std::floor(from)) - 2);
    const int right = std::min(rect.right() + 1, static_cast<int>(std::ceil(to)) + 3);
    if (right <= left) {
        ++m_stripDraws; // the new points are all off the shown range: nothing on screen changes
        return true;
    }

    // Graphs are cut to their points near the strip: from kLead pixels before it (the raster engine
    // places each 1-pixel segment's end pixels by the segment before it, its dropout control, so a line
    // must start well before the strip to reach it as it did whole) to a point beyond its right. That
    // draws them as a replot would only for solid pens without adaptive sampling: a dash pattern runs
    // from the start of its line and is not advanced where the image clips it, and adaptive sampling
    // bins from the first point drawn. Such a graph crossing the strip: a replot.
    constexpr int kLead = 24;
    const double keyFrom = std::min(xAxis->pixelToCoord(left - kLead), xAxis->pixelToCoord(right + 4));
    const double keyTo = std::max(xAxis->pixelToCoord(left - kLead), xAxis->pixelToCoord(right + 4));
    QList<QCPGraph*> cut;
    for (int i = 0; i < graphCount(); ++i) {
        QCPGraph* g = graph(i);
        if (!g->visible() || g->data()->isEmpty() || g->keyAxis() != xAxis)
            continue;
        if (g->pen().style() == Qt::SolidLine && !g->adaptiveSampling()) {
            cut << g;
            continue;
        }
        bool found = false;
        const QCPRange keys = g->data()->keyRange(found);
        if (found && keys.upper >= keyFrom && keys.lower <= keyTo)
            return false;
    }
    // The image drawn reaches past the strip: left to each cut line's first point, and 2 pixels
    // around the axis rect (its clip). A line clipped by the image's edge where the replot did not
    // clip it would start its pixel steps elsewhere, a pixel off here and there; what is copied back
    // is the strip alone.
    int imageLeft = left;
    std::vector<QSharedPointer<QCPGraphDataContainer>> whole;
    for (QCPGraph* g : std::as_const(cut)) {
        whole.push_back(g->data());
        auto part = slice(*whole.back(), keyFrom, keyTo);
        if (!part->isEmpty())
            imageLeft = std::min(
                imageLeft, static_cast<int>(std::floor(xAxis->coordToPixel(part->constBegin()->key))) - 2);
        g->setData(part);
    }
    imageLeft = std::max(imageLeft, rect.left() - 2);
    const QRect image(QPoint(imageLeft, rect.top() - 2), QPoint(right + 2, rect.bottom() + 2));
    QImage drawn(image.size(), QImage::Format_RGB32);
    drawn.fill(buffer->background());
    {
        // The axis labels and tick labels lie outside the axis rect, yet every draw makes their text
        // again (formats each tick's number, shapes the labels, computes the margins from them) only
        // to have the image clip it all: they are left out of the strip, with the margins held as
        // the replot left them (callgrind: 45 % of a strip's instructions).
        QCPAxisRect* axes = axisRect();
        const QCP::MarginSides autoMargins = axes->autoMargins();
        axes->setAutoMargins(QCP::msNone); // the margins stay as they are
        struct Labels {
            QCPAxis* axis;
            QString label;
            bool ticks;
        };
        QList<Labels> labels;
        for (QCPAxis* axis : axes->axes()) {
            labels.append({axis, axis->label(), axis->tickLabels()});
            axis->setLabel(QString());
            axis->setTickLabels(false);
        }
        QCPPainter painter(&drawn);
        painter.translate(-image.topLeft());
        draw(&painter); // everything, clipped to the image; updates the layout first
        for (const Labels& held : std::as_const(labels)) {
            held.axis->setLabel(held.label);
            held.axis->setTickLabels(held.ticks);
        }
        axes->setAutoMargins(autoMargins);
    }
    for (std::size_t i = 0; i < whole.size(); ++i)
        cut[static_cast<qsizetype>(i)]->setData(whole[i]);
    // The layout moved (a legend entry grew, a tick label widened): the strip no longer fits.
    if (*m_replotted != replotState())
        return false;
    const QRect strip(left, rect.top(), right - left, rect.height());
    buffer->put(drawn.copy(strip.translated(-image.topLeft())), strip.topLeft());
    update(strip);
    ++m_stripDraws;
    return true;
}
