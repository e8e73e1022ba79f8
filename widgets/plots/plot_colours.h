#pragma once

#include <QColor>

class QWidget;

// One palette for every series the plots draw, so that no two visible series share a hue: the live
// run's curves (p50 … max), its burst series, and the overlaid runs (opened sessions, compare
// runs, sweep curves) each take their own slots. Every colour is readable on light and dark
// palettes (>= 2.5:1 against white and against #1e1e1e).
namespace SeriesColours {
inline constexpr QRgb kP50 = 0x2f80ed;        // blue: also the live run as a whole
inline constexpr QRgb kP90 = 0x219a52;        // green
inline constexpr QRgb kP99 = 0xe07010;        // orange
inline constexpr QRgb kP999 = 0xd62728;       // red
inline constexpr QRgb kMax = 0x8e5cd9;        // purple
inline constexpr QRgb kBurstFirst = 0x00a3a3; // teal
inline constexpr QRgb kBurstRest = 0x8d6e63;  // brown
} // namespace SeriesColours

// The colour of run `index`: 0 is the live run (kP50's blue); 1, 2, ... the overlaid runs, in hues
// none of the live series use (pink, olive, grey, lime, then hues shifted per round).
QColor runColour(int index);

// `a` and `b` mixed channel by channel: `weight` 1 = a, 0 = b (clamped to that range).
QColor mixColours(const QColor& a, const QColor& b, double weight);

// Colour for text and marker lines drawn over the data: the palette's text colour, or a mix of it
// with the plot background (`weight` 1 = text colour, 0 = background).
QColor plotInkColour(const QWidget* plot, double weight = 1.0);
