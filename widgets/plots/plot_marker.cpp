#include "plot_marker.h"

#include "plot_colours.h"

#include <qcustomplot.h>

#include <QFontMetricsF>

#include <algorithm>

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

// Chooses its row and its side of the marker line when drawn, from the layout of that moment: right
// for the on-screen size and for an export at another size alike. Labels are drawn in the order they
// were added; each takes the first row, from its own `row` down, where it overlaps none drawn before
// it in the same pass, so close changes (a whole run zoomed out) stack instead of running into each
// other. A label with no free row in the top third of the plot is left out; its line stays.
class MarkerLabel : public QCPItemText {
public:
    MarkerLabel(QCustomPlot* plot, int row, double key)
        : QCPItemText(plot)
        , m_row(row)
        , m_key(key) {}

    QRectF drawnRect() const { return m_drawn; }
    void moveTo(double key, int row) {
        m_key = key;
        m_row = row;
    }

protected:
    void draw(QCPPainter* painter) override {
        m_drawn = {};
        const QRect rect = position->axisRect() ? position->axisRect()->rect() : QRect();
        if (rect.width() <= 0 || rect.height() <= 0) {
            QCPItemText::draw(painter);
            return;
        }
        measure();
        const double lineHeight = m_textHeight + padding().top() + padding().bottom() + 2;
        const double x = position->keyAxis()->coordToPixel(m_key);
        const double width = m_textWidth + padding().left() + padding().right();
        // Right of its line, or left of it where the right side has no room; and never past the plot's
        // edges (a label wider than either side is pushed in, off its line, rather than cut).
        const bool left = x + width > rect.right() && x - rect.left() > rect.right() - x;
        const double from = std::clamp(left ? x - width : x, double(rect.left()),
                                       std::max(double(rect.left()), rect.right() - width));
        setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
        const int rows = std::max(m_row + 1, int(rect.height() / 3.0 / lineHeight));
        for (int row = m_row; row < rows; ++row) {
            const QRectF span(from, rect.top() + 3 + row * lineHeight, width, lineHeight - 1);
            if (overlapsEarlier(span))
                continue;
            position->setCoords(position->keyAxis()->pixelToCoord(from),
                                (3 + row * lineHeight) / rect.height());
            m_drawn = span;
            QCPItemText::draw(painter);
            return;
        }
    }

private:
    // The text's size, measured again only when the text or font changed: shaping a label's text is
    // most of what it costs, and the window draws every label up to 30 times a second.
    void measure() {
        if (m_measured && text() == m_measuredText && font() == m_measuredFont)
            return;
        const QFontMetricsF metrics(font());
        m_textWidth = metrics.horizontalAdvance(text());
        m_textHeight = metrics.height();
        m_measuredText = text();
        m_measuredFont = font();
        m_measured = true;
    }

    bool overlapsEarlier(const QRectF& span) const {
        for (QCPLayerable* other : layer()->children()) {
            if (other == this)
                break;
            const auto* label = dynamic_cast<const MarkerLabel*>(other);
            if (label && label->realVisibility() && label->m_drawn.intersects(span))
                return true;
        }
        return false;
    }

    int m_row;
    double m_key;   // the marker's time: where its line is (the label's own position follows the room)
    QRectF m_drawn; // where the last draw put it (pixels), empty when it was left out
    bool m_measured = false;
    QString m_measuredText;
    QFont m_measuredFont;
    double m_textWidth = 0, m_textHeight = 0;
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

    marker.label = new MarkerLabel(plot, row, key);
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

void moveMarker(const PlotMarker& marker, double key, const QString& text, int row) {
    marker.line->point1->setCoords(key, 1);
    marker.line->point2->setCoords(key, 10);
    if (auto* label = dynamic_cast<MarkerLabel*>(marker.label)) {
        label->moveTo(key, row);
        label->setText(text);
        label->position->setCoords(key, 0); // as addMarker places it; draw() finds its room
    }
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

QList<QRectF> markerLabelRects(const QCustomPlot* plot) {
    QList<QRectF> rects;
    if (QCPLayer* layer = plot->layer(kMarkerLabelsLayer)) {
        for (QCPLayerable* item : layer->children()) {
            if (const auto* label = dynamic_cast<const MarkerLabel*>(item))
                rects << label->drawnRect();
        }
    }
    return rects;
}
