#pragma once

#include "run_history.h"

#include <QColor>
#include <QList>
#include <QPen>
#include <QString>

#include <memory>

class QCPAxis;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCustomPlot;
class QWidget;

// The runs a plot shows: the live one (may be empty) and saved runs overlaid for comparison.
// Histories are owned by the window and only touched on the GUI thread.
struct PlotRuns {
    std::shared_ptr<const le::RunHistory> live;
    QList<std::shared_ptr<const le::RunHistory>> overlays;
};

// Distinct colours for overlaid runs, readable on light and dark palettes.
QColor runColour(int index);

// Shared look and behaviour of every plot; call once from the plot's constructor. Takes axis, text,
// grid and legend colours and the font from the widget's palette (and follows later palette or font
// changes, so dark mode stays readable), enables drag and wheel zoom, and makes a click on a legend
// entry hide or show that series. Plots with a refresh(bool) slot are also refreshed when they are
// shown again, since they skip work while hidden.
void applyPlotStyle(QCustomPlot* plot);

// Graph `index` of `plot`, added if missing, named and styled. Plots rebuild their series at every
// refresh, so the user's legend-click choice is remembered here per series (name and pen), not per
// graph object, and re-applied.
QCPGraph* seriesGraph(QCustomPlot* plot, int index, const QString& name, const QPen& pen);
// Removes the graphs from `count` on: the series that no longer exist.
void removeGraphsFrom(QCustomPlot* plot, int count);

// Moves the legend out of the axis rect into a row above it: for plots whose legend would otherwise
// cover data or marker labels. Call fitLegendColumns() from the plot's updateLayout() so the entries
// wrap to the width of the moment, on screen and in exports at other sizes.
void placeLegendAbove(QCustomPlot* plot);
void fitLegendColumns(QCustomPlot* plot, int maxColumns);

// A vertical marker: a dashed line at `key` (x axis coordinates) under the curves, and a label at
// the top of the axis rect above them, `row` lines down (rows keep the labels of close markers
// apart). The label goes right of its line, or left where it would be clipped.
struct PlotMarker {
    QCPItemStraightLine* line = nullptr;
    QCPItemText* label = nullptr;
};
PlotMarker addMarker(QCustomPlot* plot, double key, const QString& text, int row);

// Log-scale axis in microseconds whose tick labels carry their unit ("100 µs", "1 ms").
void setLatencyAxis(QCPAxis* axis);

// A duration given in microseconds with three significant digits and a unit that fits its size:
// "850 ns", "42.1 µs", "1.25 ms", "2 s".
QString formatMicros(double us);

// Colour for text and marker lines drawn over the data: the palette's text colour, or a mix of it
// with the plot background (`weight` 1 = text colour, 0 = background).
QColor plotInkColour(const QWidget* plot, double weight = 1.0);

// Calls refresh(bool) on `root` and each descendant widget that has one (the plots here, and any
// panel following the same convention), e.g. refreshPlotsIn(dashboard, true) before an export.
void refreshPlotsIn(QWidget* root, bool force);

// One histogram to draw: the live run's rolling window or whole run, and each overlay's whole run.
// Runs without samples are left out, so every series has something to show.
struct HistogramSeries {
    QString name;
    QColor colour;
    const le::Histogram* histogram = nullptr;
    bool live = false;
};
QList<HistogramSeries> histogramSeries(const PlotRuns& runs, bool wholeRun);
