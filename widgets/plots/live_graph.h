#pragma once

#include <qcustomplot.h>

// A graph whose wide pen, drawn without antialiasing (live drawing, plot_base.h), is stroked as a few
// 1-pixel lines side by side instead of one wide line. Qt's raster engine draws a line of at most
// 1 pixel with its cosmetic line rasteriser, and anything wider through QStroker and a polygon fill:
// on the window's live plots that fill was about 40 % of the GUI thread's instructions per redraw
// (callgrind, bench_redraw) for a look the 1-pixel strokes give back: the same lines, offset by one
// pixel right and down, cover what the wide non-antialiased pen covered (about 2 pixels).
// Antialiased (smooth drawing: stopped runs, screenshots) and vector output (exports) draw the pen as
// it is, so nothing presented changes.
class LiveGraph : public QCPGraph {
    Q_OBJECT
public:
    LiveGraph(QCPAxis* keyAxis, QCPAxis* valueAxis);

    // The legend icon, for a legend entry of our own (legend_entry.h) to draw.
    void drawIcon(QCPPainter* painter, const QRectF& rect) const { drawLegendIcon(painter, rect); }

protected:
    void drawLinePlot(QCPPainter* painter, const QVector<QPointF>& lines) const override;
};
