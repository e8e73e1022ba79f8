#include "plot_export.h"

#include "plot_base.h"

#include <qcustomplot.h>

#include <QClipboard>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImageWriter>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <cmath>

namespace PlotExport {

namespace {

bool fail(QString* error, const QString& message) {
    if (error)
        *error = message;
    return false;
}

// A panel exported at another size than it has on screen is resized for the export only.
class TemporarySize {
public:
    TemporarySize(QWidget* w, QSize size)
        : m_widget(w)
        , m_old(w->size()) {
        if (size != m_old)
            m_widget->resize(size);
    }
    ~TemporarySize() {
        if (m_widget->size() != m_old)
            m_widget->resize(m_old);
    }
    TemporarySize(const TemporarySize&) = delete;
    TemporarySize& operator=(const TemporarySize&) = delete;

private:
    QWidget* m_widget;
    QSize m_old;
};

// Plots inside a panel paint their cached pixmaps; rendered at the export scale for the duration, so
// a 2x export of the dashboard is as sharp as a 2x export of a single plot.
class SharpPlots {
public:
    SharpPlots(QWidget* root, double scale)
        : m_plots(root->findChildren<QCustomPlot*>()) {
        for (QCustomPlot* plot : std::as_const(m_plots)) {
            m_ratios << plot->bufferDevicePixelRatio();
            plot->setBufferDevicePixelRatio(scale);
            plot->replot(QCustomPlot::rpRefreshHint);
        }
    }
    ~SharpPlots() {
        for (qsizetype i = 0; i < m_plots.size(); ++i) {
            m_plots[i]->setBufferDevicePixelRatio(m_ratios[i]);
            m_plots[i]->replot(QCustomPlot::rpQueuedReplot);
        }
    }
    SharpPlots(const SharpPlots&) = delete;
    SharpPlots& operator=(const SharpPlots&) = delete;

private:
    QList<QCustomPlot*> m_plots;
    QList<double> m_ratios;
};

QImage rasterise(QWidget* w, QSize size, double scale) {
    if (auto* plot = qobject_cast<QCustomPlot*>(w)) {
        // What QCustomPlot::savePng() draws, kept as an image so it can go through QSaveFile
        // (savePng only says true or false, and leaves a partial file behind on failure).
        QImage image = plot->toPixmap(size.width(), size.height(), scale).toImage();
        plot->replot(QCustomPlot::rpQueuedReplot); // toPixmap() left the layout at the export size
        return image;
    }
    TemporarySize resized(w, size);
    SharpPlots sharp(w, scale);
    QImage image(QSize(qRound(size.width() * scale), qRound(size.height() * scale)),
                 QImage::Format_ARGB32_Premultiplied);
    if (image.isNull())
        return image;
    image.setDevicePixelRatio(scale); // the widget paints in logical pixels, scaled up
    image.fill(w->palette().color(w->backgroundRole()));
    w->render(&image);
    image.setDevicePixelRatio(1.0);
    return image;
}

// Draws `w` at `size` logical pixels onto a vector device whose painter window is set up already.
void paintVector(QWidget* w, QCPPainter& painter, QSize size) {
    if (auto* plot = qobject_cast<QCustomPlot*>(w)) {
        // toPainter() draws every layer with caching off: real vector lines and text, not the
        // on-screen pixmap buffers.
        painter.setMode(QCPPainter::pmVectorized);
        plot->toPainter(&painter, size.width(), size.height());
        plot->replot(QCustomPlot::rpQueuedReplot); // toPainter() left the layout at the export size
        return;
    }
    TemporarySize resized(w, size);
    painter.fillRect(QRect(QPoint(), size), w->palette().color(w->backgroundRole()));
    w->render(&painter);
}

bool writeRaster(QWidget* w, QSaveFile& file, const QString& ext, QSize size, double scale, QString* error) {
    QImage image = rasterise(w, size, scale);
    if (image.isNull())
        return fail(error, QObject::tr("cannot export %1: an image of %2 x %3 pixels is too large")
                               .arg(file.fileName())
                               .arg(qRound(size.width() * scale))
                               .arg(qRound(size.height() * scale)));
    const bool jpeg = ext != QLatin1String("png");
    if (jpeg)
        image = image.convertToFormat(QImage::Format_RGB32); // no alpha in JPEG
    // 96 dpi per logical pixel, so a 2x image opens at its logical size in viewers that honour it.
    const int dotsPerMeter = qRound(96.0 * scale / 0.0254);
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    QImageWriter writer(&file, jpeg ? "jpeg" : "png");
    if (jpeg)
        writer.setQuality(92);
    if (!writer.write(image))
        return fail(error, QObject::tr("cannot write %1: %2").arg(file.fileName(), writer.errorString()));
    return true;
}

bool writePdf(QWidget* w, QSaveFile& file, QSize size, QString* error) {
    QPdfWriter pdf(&file);
    pdf.setCreator(QStringLiteral("Latency Explorer"));
    pdf.setTitle(QFileInfo(file.fileName()).completeBaseName());
    // The screen's resolution makes point-sized fonts take the same share of the page as on screen;
    // the page is the export size in points, without margins.
    pdf.setResolution(w->logicalDpiY());
    QPageLayout layout(QPageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch),
                       QPageLayout::Portrait, QMarginsF());
    layout.setMode(QPageLayout::FullPageMode);
    pdf.setPageLayout(layout);
    QCPPainter painter;
    if (!painter.begin(&pdf))
        return fail(error, QObject::tr("cannot write %1: the PDF could not be started").arg(file.fileName()));
    painter.setWindow(QRect(QPoint(), size)); // logical pixels onto the whole page
    paintVector(w, painter, size);
    painter.end();
    return true;
}

bool writeSvg(QWidget* w, QSaveFile& file, QSize size, QString* error) {
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(), size));
    svg.setResolution(w->logicalDpiY()); // as for PDF: fonts the same size relative to the plot
    svg.setTitle(QFileInfo(file.fileName()).completeBaseName());
    svg.setDescription(QStringLiteral("Latency Explorer"));
    QCPPainter painter;
    if (!painter.begin(&svg))
        return fail(error, QObject::tr("cannot write %1: the SVG could not be started").arg(file.fileName()));
    paintVector(w, painter, size);
    painter.end();
    return true;
}

} // namespace

void refreshPlots(QWidget* root) {
    QList<QWidget*> widgets = root->findChildren<QWidget*>();
    widgets.prepend(root);
    for (QWidget* widget : widgets) {
        const int index = widget->metaObject()->indexOfMethod("refresh(bool)");
        if (index >= 0)
            widget->metaObject()->method(index).invoke(widget, Qt::DirectConnection, Q_ARG(bool, true));
    }
}

QStringList formats() {
    QStringList out{QStringLiteral("png")};
    if (QImageWriter::supportedImageFormats().contains("jpeg"))
        out << QStringLiteral("jpg");
    out << QStringLiteral("pdf") << QStringLiteral("svg");
    return out;
}

bool save(QWidget* w, const QString& path, QSize size, double scale, QString* error) {
    if (!w)
        return fail(error, QObject::tr("cannot export %1: no widget given").arg(path));
    QString ext = QFileInfo(path).suffix().toLower();
    if (ext == QLatin1String("jpeg"))
        ext = QStringLiteral("jpg");
    const QStringList known = formats();
    if (!known.contains(ext))
        return fail(error, QObject::tr("cannot export %1: unknown format \"%2\" (use %3)")
                               .arg(path, ext.isEmpty() ? QObject::tr("no extension") : ext,
                                    known.join(QStringLiteral(", "))));
    if (!size.isValid())
        size = w->size();
    if (size.isEmpty())
        return fail(error, QObject::tr("cannot export %1: empty size %2 x %3")
                               .arg(path)
                               .arg(size.width())
                               .arg(size.height()));
    if (!(scale > 0) || !std::isfinite(scale))
        return fail(error, QObject::tr("cannot export %1: invalid scale %2").arg(path).arg(scale));

    // Written beside the target and renamed over it on commit(): a failed export never leaves a
    // truncated file or destroys the previous one.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));

    const SmoothDrawing smooth(w);
    refreshPlots(w);
    bool ok = false;
    if (ext == QLatin1String("pdf"))
        ok = writePdf(w, file, size, error);
    else if (ext == QLatin1String("svg"))
        ok = writeSvg(w, file, size, error);
    else
        ok = writeRaster(w, file, ext, size, scale, error);
    if (!ok)
        return false; // the QSaveFile destructor drops the temporary file
    if (!file.commit())
        return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

void copyToClipboard(QWidget* w, QSize size) {
    if (!w)
        return;
    if (!size.isValid())
        size = w->size();
    if (size.isEmpty())
        return;
    const SmoothDrawing smooth(w);
    refreshPlots(w);
    const QImage image = rasterise(w, size, 1.0);
    if (!image.isNull())
        QGuiApplication::clipboard()->setImage(image);
}

} // namespace PlotExport

QString PlotExport::graphData(const QCustomPlot* plot, const QString& xName, const QString& yName) {
    QString out = QStringLiteral("series,%1,%2\n").arg(xName, yName);
    for (int g = 0; g < plot->graphCount(); ++g) {
        const QCPGraph* graph = plot->graph(g);
        QString name = graph->name();
        name.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
            out += QStringLiteral("\"%1\",%2,%3\n")
                       .arg(name, QString::number(it->key, 'g', 9),
                            std::isnan(it->value) ? QString() : QString::number(it->value, 'g', 9));
        }
    }
    return out;
}
