#include "live_graph.h"

#include <array>
#include <cmath>

LiveGraph::LiveGraph(QCPAxis* keyAxis, QCPAxis* valueAxis)
    : QCPGraph(keyAxis, valueAxis) {}

namespace {

// Each stretch of `points` between gaps (NaN, and inf, which would block drawPolyline) as one polyline.
void drawStretches(QCPPainter* painter, const QVector<QPointF>& points) {
    qsizetype start = 0;
    for (qsizetype i = 0; i <= points.size(); ++i) {
        if (i < points.size() && std::isfinite(points[i].x()) && std::isfinite(points[i].y()))
            continue;
        if (i - start > 1)
            painter->drawPolyline(points.constData() + start, static_cast<int>(i - start));
        start = i + 1;
    }
}

} // namespace

void LiveGraph::drawLinePlot(QCPPainter* painter, const QVector<QPointF>& lines) const {
    const QPen pen = painter->pen(); // QCPGraph::draw set it: the graph's, or its selection's
    if (pen.style() == Qt::NoPen || pen.color().alpha() == 0)
        return;
    applyDefaultAntialiasingHint(painter);
    if (painter->antialiasing() || painter->modes().testFlag(QCPPainter::pmVectorized) ||
        painter->modes().testFlag(QCPPainter::pmNoCaching) || pen.widthF() <= 1 || pen.isCosmetic()) {
        drawPolyline(painter, lines); // as QCPGraph draws it
        return;
    }
    // Cosmetic: at most a pixel wide whatever the transform, so the raster engine's fast path. Each
    // stretch between gaps goes in one call (one rasteriser set-up for all its segments; QCustomPlot's
    // fast polylines set one up per segment, about as dear as the wide pen's fill).
    QPen thin = pen;
    thin.setWidth(0);
    painter->setPen(thin);
    // The line, then one pixel right and one down: 2 pixels across in either direction, as the wide
    // pen looked without antialiasing (tst_live_drawing counts them; bench_redraw --save-frame shows it).
    constexpr std::array<QPointF, 3> kOffsets = {{{0, 0}, {1, 0}, {0, 1}}};
    for (const QPointF& offset : kOffsets) {
        painter->translate(offset);
        drawStretches(painter, lines);
        painter->translate(-offset);
    }
    painter->setPen(pen);
}
