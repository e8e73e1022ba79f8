#pragma once

#include <QList>
#include <QRectF>
#include <QString>

class QCPItemStraightLine;
class QCPItemText;
class QCustomPlot;

// A vertical marker: a dashed line at `key` (x axis coordinates) under the curves, and a label at
// the top of the axis rect above them, `row` or more lines down: each time the plot is drawn, a label
// takes the first row where it overlaps no label added before it (close changes stack), and is left
// out when the top third of the plot has no free row (its line stays). The label goes right of its
// line, or left where it would be clipped. The plot owns both items; remove them with
// QCustomPlot::removeItem().
struct PlotMarker {
    QCPItemStraightLine* line = nullptr;
    QCPItemText* label = nullptr;
};
// Needs the marker layers (addMarkerLayers) on `plot`.
PlotMarker addMarker(QCustomPlot* plot, double key, const QString& text, int row);

// Moves `marker` (made by addMarker) to `key`, with `text` and `row`, as addMarker would place a new one.
void moveMarker(const PlotMarker& marker, double key, const QString& text, int row);

// Adds the layers markers are drawn on: lines under the curves (like grid lines), labels above
// them. Once per plot, before the first addMarker().
void addMarkerLayers(QCustomPlot* plot);

// Re-applies the palette's colours and the font to every marker on `plot` (after a palette or font
// change, so dark mode does not wait for the plot to rebuild its markers).
void restyleMarkers(QCustomPlot* plot);

// Where the last drawing of `plot` put each marker label (pixels), in the order they were added; an
// empty rect for a label left out for want of room.
QList<QRectF> markerLabelRects(const QCustomPlot* plot);
