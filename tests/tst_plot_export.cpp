// The one export path: PNG/JPG at 1x and 2x, PDF pages at the export size, SVG with text as text,
// errors that leave the file system as it was, hidden plots refreshed before they are drawn, and
// the clipboard. With LE_PLOTS_DIR set it also writes every plot for a person to look at.
#include "plot_export.h"
#include "plot_test_support.h"

#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

// What an export test exports: one of the live plots by name, or "dashboard", drawing `runs`.
std::unique_ptr<QWidget> widgetOf(const QString& kind, const PlotRuns& runs) {
    if (kind == "dashboard")
        return makeDashboard(runs);
    std::unique_ptr<RunsPlot> plot = makePlot(kind);
    plot->setRuns(runs);
    return plot;
}

} // namespace

class TestPlotExport : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void exportRaster_data();
    void exportRaster();
    void exportPdf_data();
    void exportPdf();
    void exportSvg_data();
    void exportSvg();
    void exportErrors_data();
    void exportErrors();
    void exportRefreshesHiddenPlots();
    void copyToClipboard();

    void savePlotsForLooking();

private:
    // Exports the widget for `kind` (widgetOf) to kind.ext at 800 x 500 and reads the file back.
    void exportAndRead(const QString& kind, const QString& ext, QByteArray& bytes);

    QTemporaryDir m_dir;
    PlotRuns m_runs; // live + one overlay, shared by the tests that only read
};

void TestPlotExport::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_runs = runsWith(1);
}

void TestPlotExport::exportAndRead(const QString& kind, const QString& ext, QByteArray& bytes) {
    const std::unique_ptr<QWidget> widget = widgetOf(kind, m_runs);
    const QString path = m_dir.filePath(kind + "." + ext);
    QString error;
    QVERIFY2(PlotExport::save(widget.get(), path, QSize(800, 500), 1.0, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    bytes = file.readAll();
}

void TestPlotExport::exportRaster_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("ext");
    QTest::addColumn<double>("scale");
    for (const QString kind : {"histogram", "percentile", "distribution", "dashboard"}) {
        const QByteArray k = kind.toLatin1();
        QTest::newRow(k + " png 1x") << kind << QString("png") << 1.0;
        QTest::newRow(k + " png 2x") << kind << QString("png") << 2.0;
    }
    QTest::newRow("histogram jpg") << QString("histogram") << QString("jpg") << 1.0;
}

void TestPlotExport::exportRaster() {
    QFETCH(QString, kind);
    QFETCH(QString, ext);
    QFETCH(double, scale);
    if (!PlotExport::formats().contains(ext))
        QSKIP("no JPEG writer in this Qt");
    const std::unique_ptr<QWidget> widget = widgetOf(kind, m_runs);
    const QSize before = widget->size();
    const QString path = m_dir.filePath(QString("%1-%2.%3").arg(kind).arg(scale).arg(ext));
    QString error;
    QVERIFY2(PlotExport::save(widget.get(), path, QSize(800, 500), scale, &error), qPrintable(error));
    const QImage image(path);
    QCOMPARE(image.size(), QSize(800, 500) * scale);
    QVERIFY2(distinctColours(image) > 20, qPrintable(QString::number(distinctColours(image))));
    QCOMPARE(widget->size(), before); // the temporary export size is undone
}

void TestPlotExport::exportPdf_data() {
    QTest::addColumn<QString>("kind");
    for (const char* kind : {"histogram", "percentile", "distribution", "dashboard"})
        QTest::newRow(kind) << QString(kind);
}

void TestPlotExport::exportPdf() {
    QFETCH(QString, kind);
    QByteArray pdf;
    exportAndRead(kind, "pdf", pdf);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(pdf.startsWith("%PDF"));
    QVERIFY2(pdf.size() > 1024, qPrintable(QString::number(pdf.size())));
    // Page size = export size, in points.
    const auto box = QRegularExpression(R"(/MediaBox \[([^\]]*)\])").match(QString::fromLatin1(pdf));
    const QStringList corners = box.captured(1).simplified().split(' ');
    QCOMPARE(corners.size(), 4);
    QCOMPARE(corners[2].toDouble(), 800.0);
    QCOMPARE(corners[3].toDouble(), 500.0);
}

void TestPlotExport::exportSvg_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("tickLabel");
    QTest::newRow("histogram") << QString("histogram") << QString(" µs");
    QTest::newRow("percentile") << QString("percentile") << QString(" µs");
    QTest::newRow("distribution") << QString("distribution") << QString("99.9%");
    QTest::newRow("dashboard") << QString("dashboard") << QString();
}

void TestPlotExport::exportSvg() {
    QFETCH(QString, kind);
    QFETCH(QString, tickLabel);
    QByteArray bytes;
    exportAndRead(kind, "svg", bytes);
    if (QTest::currentTestFailed())
        return;
    const QString svg = QString::fromUtf8(bytes);
    QVERIFY(svg.contains("<svg"));
    if (tickLabel.isEmpty()) {
        QVERIFY(svg.contains("<image") || svg.contains("<path")); // panels paint their plots' pixmaps
        return;
    }
    QVERIFY(svg.contains("<path") || svg.contains("<polyline"));
    // Text stays text: a tick label is an SVG text element, not a bitmap.
    const QRegularExpression text("<text[^>]*>[^<]*" + QRegularExpression::escape(tickLabel));
    QVERIFY2(svg.contains(text), qPrintable(tickLabel));
}

void TestPlotExport::exportErrors_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<double>("scale");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing directory")
        << QString("no/such/dir/x.png") << QSize(800, 500) << 1.0 << QString("No such file or directory");
    QTest::newRow("directory as file")
        << QString("adir.png") << QSize(800, 500) << 1.0 << QString("directory");
    QTest::newRow("unknown extension") << QString("x.bmp") << QSize(800, 500) << 1.0 << QString("\"bmp\"");
    QTest::newRow("no extension") << QString("x") << QSize(800, 500) << 1.0 << QString("no extension");
    QTest::newRow("empty size") << QString("x.png") << QSize(0, 500) << 1.0 << QString("empty size");
    QTest::newRow("zero scale") << QString("x.png") << QSize(800, 500) << 0.0 << QString("scale");
    QTest::newRow("keeps old file") << QString("old.pdf") << QSize(800, -0) << 1.0 << QString("empty size");
}

void TestPlotExport::exportErrors() {
    QFETCH(QString, name);
    QFETCH(QSize, size);
    QFETCH(double, scale);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir("adir.png"));
    {
        QFile old(dir.filePath("old.pdf"));
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("previous export");
    }
    const QStringList before = QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);

    HistogramPlot plot;
    plot.setRuns(m_runs);
    const QString path = dir.filePath(name);
    QString error;
    QVERIFY(!PlotExport::save(&plot, path, size, scale, &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY2(error.contains(message), qPrintable(error));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), before);
    QFile old(dir.filePath("old.pdf"));
    QVERIFY(old.open(QIODevice::ReadOnly));
    QCOMPARE(old.readAll(), QByteArray("previous export"));
}

void TestPlotExport::exportRefreshesHiddenPlots() {
    // A plot on a hidden tab has skipped every refresh; its export must still be current.
    auto dashboard = makeDashboard(m_runs);
    const QList<QCustomPlot*> plots = dashboard->findChildren<QCustomPlot*>();
    QCOMPARE(plots.size(), 3);
    for (const QCustomPlot* plot : plots)
        QCOMPARE(plot->graphCount(), 0);
    QString error;
    QVERIFY2(PlotExport::save(dashboard.get(), m_dir.filePath("hidden.png"), {}, 1.0, &error),
             qPrintable(error));
    QCOMPARE(QImage(m_dir.filePath("hidden.png")).size(), dashboard->size());
    for (const QCustomPlot* plot : plots)
        QVERIFY(plot->graphCount() > 0);
}

void TestPlotExport::copyToClipboard() {
    HistogramPlot plot;
    plot.resize(500, 300);
    plot.setRuns(m_runs);
    PlotExport::copyToClipboard(&plot, QSize(640, 400));
    QImage image = QGuiApplication::clipboard()->image();
    QCOMPARE(image.size(), QSize(640, 400));
    QVERIFY(distinctColours(image) > 20);

    PlotExport::copyToClipboard(&plot); // the widget's own size
    QCOMPARE(QGuiApplication::clipboard()->image().size(), QSize(500, 300));
}

// Not an assertion: with LE_PLOTS_DIR set, writes every plot in the light and a dark palette (live
// run with changes and a gap, plus one overlay), then a narrow and a wide distribution with more
// overlays and a small size, for a person to look at.
void TestPlotExport::savePlotsForLooking() {
    const QString dir = qEnvironmentVariable("LE_PLOTS_DIR");
    if (dir.isEmpty())
        QSKIP("set LE_PLOTS_DIR to write the plots as PNGs");
    QVERIFY(QDir().mkpath(dir));
    const auto save = [&](QWidget* w, const QString& name, QSize size) {
        QString error;
        QVERIFY2(PlotExport::save(w, QString("%1/%2.png").arg(dir, name), size, 1.0, &error),
                 qPrintable(error));
    };
    RunSpec spec;
    spec.silent = {2};
    auto live = makeRun(spec);
    appendIntervals(*live, 5, 28, 9, {{0, "payload", "1KiB"}});
    PlotRuns runs = runsWith(1);
    runs.live = live;
    for (const bool dark : {false, true}) {
        const QString mode = dark ? "dark" : "light";
        for (const QString kind : {"histogram", "percentile", "distribution"}) {
            auto plot = makePlot(kind);
            if (dark)
                plot->setPalette(darkPalette());
            plot->setRuns(runs);
            save(plot.get(), kind + "_" + mode, QSize(900, 520));
        }
        auto dashboard = makeDashboard(runs);
        if (dark)
            dashboard->setPalette(darkPalette());
        save(dashboard.get(), "dashboard_" + mode, QSize(1200, 800));
    }

    RunSpec narrow;
    narrow.sigma = 0.06;
    narrow.medianUs = 18;
    RunSpec wide;
    wide.sigma = 1.3;
    wide.intervals = 40;
    wide.samples = 3'000;
    for (const auto& [name, variant] :
         {std::pair{QString("narrow"), narrow}, std::pair{QString("wide"), wide}}) {
        PlotRuns r = runsWith(name == "wide" ? 3 : 0);
        r.live = makeRun(variant);
        for (const QString kind : {"histogram", "percentile", "distribution"}) {
            auto plot = makePlot(kind);
            plot->setRuns(r);
            save(plot.get(), QString("%1_%2").arg(kind, name), QSize(900, 520));
            if (name == "wide")
                save(plot.get(), QString("%1_small").arg(kind), QSize(420, 260));
        }
    }
}

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
