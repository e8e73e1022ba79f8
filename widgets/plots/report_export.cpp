#include "report_export.h"

#include "plot_base.h"
#include "plot_export.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QImageWriter>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <cmath>

namespace ReportExport {

namespace {

bool fail(QString* error, const QString& message) {
    if (error)
        *error = message;
    return false;
}

// A plot and where it sits in the exported widget, in that widget's pixels.
struct Placed {
    QCustomPlot* plot;
    QRect rect;
};

QList<Placed> plotsIn(QWidget* root) {
    QList<Placed> out;
    if (auto* plot = qobject_cast<QCustomPlot*>(root))
        return {{plot, QRect(QPoint(), root->size())}};
    for (QCustomPlot* plot : root->findChildren<QCustomPlot*>()) {
        if (plot->isVisibleTo(root) || (!root->isVisible() && !plot->isHidden()))
            out.append({plot, QRect(plot->mapTo(root, QPoint()), plot->size())});
    }
    return out;
}

// Exports in the light theme repaint the plots in lightPalette() for the duration; a palette the
// plot inherited is inherited again afterwards (so later desktop theme changes still reach it).
class ThemeForExport {
public:
    ThemeForExport(const QList<Placed>& plots, bool light) {
        if (!light)
            return;
        for (const Placed& p : plots) {
            m_saved.append({p.plot, p.plot->palette(), p.plot->testAttribute(Qt::WA_SetPalette)});
            p.plot->setPalette(lightPalette());
        }
    }
    ~ThemeForExport() {
        for (const Saved& s : std::as_const(m_saved))
            s.plot->setPalette(s.own ? s.palette : QPalette());
    }
    ThemeForExport(const ThemeForExport&) = delete;
    ThemeForExport& operator=(const ThemeForExport&) = delete;

private:
    struct Saved {
        QCustomPlot* plot;
        QPalette palette;
        bool own;
    };
    QList<Saved> m_saved;
};

// Paints the page in `logical` pixels on a painter already scaled onto the device.
void paintPage(QCPPainter& painter, QWidget* root, const QList<Placed>& plots, QSizeF logical,
               const ExportOptions& o, const ExportConditions& c) {
    const QPalette palette = o.light ? lightPalette() : root->palette();
    painter.fillRect(QRectF(QPointF(), logical), palette.color(QPalette::Base));
    const double margin = 8;
    double top = 0;
    if (o.conditions && !c.isEmpty()) {
        QFont titleFont = root->font();
        titleFont.setBold(true);
        titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
        const QFont lineFont = root->font();
        const QRectF textArea(margin, margin, logical.width() - 2 * margin, logical.height());
        painter.setPen(palette.color(QPalette::Text));
        painter.setFont(titleFont);
        QRectF used;
        painter.drawText(textArea, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, c.title, &used);
        const QRectF lineArea = textArea.adjusted(0, used.height() + 2, 0, 0);
        painter.setFont(lineFont);
        painter.setPen(palette.color(QPalette::Text));
        painter.drawText(lineArea, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, c.line, &used);
        top = used.bottom() + margin / 2;
    }
    // The plots keep their on-screen arrangement, stretched onto what is left of the page.
    QRect bounds;
    for (const Placed& p : plots)
        bounds = bounds.united(p.rect);
    const QRectF area(0, top, logical.width(), logical.height() - top);
    for (qsizetype i = 0; i < plots.size(); ++i) {
        QRectF r;
        if (bounds.width() > 0 && bounds.height() > 0) {
            const double sx = area.width() / bounds.width(), sy = area.height() / bounds.height();
            const QRect& s = plots[i].rect;
            r = QRectF(area.x() + (s.x() - bounds.x()) * sx, area.y() + (s.y() - bounds.y()) * sy,
                       s.width() * sx, s.height() * sy);
        } else { // never laid out (a tab not yet shown): one below the other
            const double h = area.height() / double(plots.size());
            r = QRectF(area.x(), area.y() + i * h, area.width(), h);
        }
        painter.save();
        painter.translate(r.topLeft());
        plots[i].plot->toPainter(&painter, int(std::floor(r.width())), int(std::floor(r.height())));
        painter.restore();
        plots[i].plot->replot(QCustomPlot::rpQueuedReplot); // toPainter() left the export layout
    }
}

// Everything save() and render() share: the plots refreshed and themed for the page.
class Page {
public:
    Page(QWidget* root, const ExportOptions& o)
        : m_smooth(root)
        , m_root(root)
        , m_plots((PlotExport::refreshPlots(root), plotsIn(root)))
        , m_theme(m_plots, o.light)
        , m_options(o) {
        if (!m_options.size.isValid())
            m_options.size = root->size();
    }
    bool empty() const { return m_plots.isEmpty(); }
    QSize size() const { return m_options.size; }
    // Paints onto `painter`, whose device is size() units large.
    void paint(QCPPainter& painter, const ExportConditions& c, bool vector) {
        painter.setMode(QCPPainter::pmVectorized, vector);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        const double scale = m_options.scale;
        painter.scale(scale, scale);
        paintPage(painter, m_root, m_plots, QSizeF(m_options.size) / scale, m_options, c);
    }

private:
    SmoothDrawing m_smooth; // first: the plots are refreshed smooth below
    QWidget* m_root;
    QList<Placed> m_plots;
    ThemeForExport m_theme;
    ExportOptions m_options;
};

QImage renderPage(Page& page, QWidget* root, const ExportConditions& c) {
    QImage image(page.size(), QImage::Format_ARGB32_Premultiplied);
    if (image.isNull())
        return image;
    // The screen's resolution: point-sized fonts take the share of the page they take on screen.
    const int dotsPerMeter = qRound(root->logicalDpiY() / 0.0254);
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    image.fill(Qt::white);
    QCPPainter painter(&image);
    page.paint(painter, c, false);
    painter.end();
    return image;
}

} // namespace

QPalette lightPalette() {
    QPalette p(QColor(0xf0, 0xf0, 0xf0));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::Text, QColor(0x1a, 0x1a, 0x1a));
    p.setColor(QPalette::WindowText, QColor(0x1a, 0x1a, 0x1a));
    return p;
}

QImage render(QWidget* root, const ExportOptions& options, const ExportConditions& conditions) {
    Page page(root, options);
    if (page.empty() || page.size().isEmpty())
        return {};
    return renderPage(page, root, conditions);
}

bool save(QWidget* root, const QString& path, const ExportOptions& options,
          const ExportConditions& conditions, QString* error) {
    QString ext = QFileInfo(path).suffix().toLower();
    if (ext == QLatin1String("jpeg"))
        ext = QStringLiteral("jpg");
    const QStringList known = PlotExport::formats();
    if (!known.contains(ext))
        return fail(error, QObject::tr("cannot export %1: unknown format \"%2\" (use %3)")
                               .arg(path, ext.isEmpty() ? QObject::tr("no extension") : ext,
                                    known.join(QStringLiteral(", "))));
    if (!(options.scale > 0) || !std::isfinite(options.scale) || options.scale > 8)
        return fail(error, QObject::tr("cannot export %1: invalid scale %2").arg(path).arg(options.scale));
    Page page(root, options);
    const QSize size = page.size();
    if (size.width() < 16 || size.height() < 16 || size.width() > 20000 || size.height() > 20000)
        return fail(error, QObject::tr("cannot export %1: a size of %2 x %3 is out of range (16 … 20000)")
                               .arg(path)
                               .arg(size.width())
                               .arg(size.height()));
    if (page.empty())
        return fail(error, QObject::tr("cannot export %1: the view shows no plot").arg(path));

    // Written beside the target and renamed over it on commit(): a failed export never leaves a
    // truncated file or destroys the previous one.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
    const int dpi = root->logicalDpiY();
    if (ext == QLatin1String("pdf")) {
        QPdfWriter pdf(&file);
        pdf.setCreator(QStringLiteral("Latency Explorer"));
        pdf.setTitle(conditions.title);
        pdf.setResolution(dpi);
        // The page is the export size at 96 pixels an inch: 1123 x 794 is an A4 page.
        QPageLayout layout(
            QPageSize(QSizeF(size) * 72.0 / 96.0, QPageSize::Point, QString(), QPageSize::ExactMatch),
            QPageLayout::Portrait, QMarginsF());
        layout.setMode(QPageLayout::FullPageMode);
        pdf.setPageLayout(layout);
        QCPPainter painter;
        if (!painter.begin(&pdf))
            return fail(error, QObject::tr("cannot write %1: the PDF could not be started").arg(path));
        painter.setWindow(QRect(QPoint(), size)); // the export size onto the whole page
        page.paint(painter, conditions, true);
        painter.end();
    } else if (ext == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(), size));
        svg.setResolution(dpi);
        svg.setTitle(conditions.title);
        svg.setDescription(conditions.line);
        QCPPainter painter;
        if (!painter.begin(&svg))
            return fail(error, QObject::tr("cannot write %1: the SVG could not be started").arg(path));
        page.paint(painter, conditions, true);
        painter.end();
    } else {
        QImage image = renderPage(page, root, conditions);
        if (image.isNull())
            return fail(error, QObject::tr("cannot export %1: an image of %2 x %3 pixels is too large")
                                   .arg(path)
                                   .arg(size.width())
                                   .arg(size.height()));
        const bool jpeg = ext == QLatin1String("jpg");
        if (jpeg)
            image = image.convertToFormat(QImage::Format_RGB32);
        QImageWriter writer(&file, jpeg ? "jpeg" : "png");
        if (jpeg)
            writer.setQuality(92);
        if (!writer.write(image))
            return fail(error, QObject::tr("cannot write %1: %2").arg(path, writer.errorString()));
    }
    if (!file.commit())
        return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

} // namespace ReportExport
