#pragma once

#include <QColor>

class QWidget;

// Distinct colours for overlaid runs, readable on light and dark palettes. Index 0 is the live run.
QColor runColour(int index);

// `a` and `b` mixed channel by channel: `weight` 1 = a, 0 = b (clamped to that range).
QColor mixColours(const QColor& a, const QColor& b, double weight);

// Colour for text and marker lines drawn over the data: the palette's text colour, or a mix of it
// with the plot background (`weight` 1 = text colour, 0 = background).
QColor plotInkColour(const QWidget* plot, double weight = 1.0);
