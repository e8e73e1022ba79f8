#pragma once

#include <QSize>
#include <QString>
#include <QStringList>

class QCustomPlot;
class QWidget;

// The one export path for every plot and for whole panels (the dashboard): files and clipboard.
// Plots in the exported widget are refreshed first (refresh(true)), so a plot on a hidden tab is
// exported with its current data.
namespace PlotExport {

// Extensions save() understands, lower case without the dot; the first is the default.
QStringList formats();

// Writes `w` to `path`, the format taken from the extension (.png, .jpg/.jpeg, .pdf, .svg).
// `size` is the logical size in pixels (an invalid QSize() = the widget's current size); `scale`
// multiplies it for raster formats (2 = a sharp image for high-DPI screens and slides), vector
// formats ignore it. The file is replaced only once complete. On failure returns false, leaves the
// file system as it was and, if `error` is given, says why ("cannot write /x/y.png: No such file
// or directory").
bool save(QWidget* w, const QString& path, QSize size = {}, double scale = 1.0, QString* error = nullptr);

// Calls refresh(true) on `root` and each descendant that has a refresh(bool) slot (the plots), so a
// plot on a hidden tab is drawn with its current data.
void refreshPlots(QWidget* root);

// Puts `w` rendered at `size` (invalid = its current size) on the clipboard as an image.
void copyToClipboard(QWidget* w, QSize size = {});

// The series of `plot`'s graphs exactly as drawn, as CSV: "series,<xName>,<yName>", one row per data
// point, hidden series included (they are drawn again with a click), a gap as an empty cell.
QString graphData(const QCustomPlot* plot, const QString& xName, const QString& yName);

} // namespace PlotExport
