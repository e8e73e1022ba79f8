#pragma once

#include "export_conditions.h"

#include <QImage>
#include <QSize>
#include <QString>

class QWidget;

// How an export looks: its size, how much larger text and lines are drawn, the conditions block
// and the theme.
struct ExportOptions {
    // Output size in pixels (a PDF page is that size at 96 pixels an inch). Invalid = the exported
    // widget's size.
    QSize size;
    // Text, lines and margins are drawn this much larger; the plots are laid out in size / scale
    // logical pixels, so 2 at 1920 x 1080 reads like a 960 x 540 window filling a slide.
    double scale = 1.0;
    // The conditions block (title and one line of settings) above the plots.
    bool conditions = true;
    // "light (for slides)": black on white whatever the desktop theme; false = as on screen.
    bool light = true;
};

// The report page: the conditions block, then every plot shown in a widget (the dashboard, the
// Sweep tab, or a single plot) where it sits on screen, scaled onto the page. Each plot is painted
// as vector (QCustomPlot::toPainter): PDF and SVG hold paths and text, no bitmaps, and raster
// formats are drawn from the same page.
namespace ReportExport {

// Writes the page for `root` to `path` (.png, .jpg/.jpeg, .pdf, .svg by extension). The file is
// replaced only once complete. On failure returns false, leaves the file system as it was and says
// why in `error` ("cannot write /x/y.pdf: No such file or directory", "… shows no plot").
bool save(QWidget* root, const QString& path, const ExportOptions& options,
          const ExportConditions& conditions, QString* error = nullptr);

// The page as an image of options.size pixels (the clipboard's copy); null when `root` shows no plot.
QImage render(QWidget* root, const ExportOptions& options, const ExportConditions& conditions);

// The light palette exports use by default: black text on white.
QPalette lightPalette();

} // namespace ReportExport
