#include "plot_marker.h"

#include "plot_colours.h"

#include <qcustomplot.h>

#include <QFontMetricsF>

namespace {

constexpr const char* kMarkerLinesLayer = "markerLines";
constexpr const char* kMarkerLabelsLayer = "markerLabels";

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

} // namespace

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

void addMarkerLayers(QCustomPlot* plot) {
    plot->addLayer(kMarkerLinesLayer, plot->layer("grid"), QCustomPlot::limAbove);
    plot->addLayer(kMarkerLabelsLayer, plot->layer("main"), QCustomPlot::limAbove);
}

void restyleMarkers(QCustomPlot* plot) {
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
