// Report pages (widgets/plots/report_export): PDF and SVG of a whole panel are vector (paths and
// text, no bitmaps; the PDF embeds its fonts), the conditions block is on the page (pdftoppm and a
// pixel check), a dark desktop theme still gives a light slide, the scale enlarges text, and
// `latency-explorer --open FILE --export IMAGE` states the saved run's conditions.
#include "export_conditions.h"
#include "plot_test_support.h"
#include "report_export.h"
#include "session_file.h"
#include "window_test_main.h"

#include <QApplication>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

ExportConditions sampleConditions() {
    return {
        QStringLiteral("Latency Explorer — bench"),
        QStringLiteral("engine asio · transport udp · peer udp://10.1.2.3:7000 · rate 9.98k of 10k msg/s · "
                       "payload 64 B · tasks 7 · loop closed · host lab · date 2026-12-01 10:00")};
}

QString readText(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// Dark pixels (text) in rows [y0, y1): the rightmost x that has one, or -1.
int rightmostInk(const QImage& image, int y0, int y1) {
    int right = -1;
    for (int y = y0; y < std::min(y1, image.height()); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (qGray(image.pixel(x, y)) < 110)
                right = std::max(right, x);
    return right;
}

// Height of the first block of rows holding dark pixels from the top: the title line's height.
int firstTextBlockHeight(const QImage& image) {
    int first = -1;
    for (int y = 0; y < image.height(); ++y) {
        bool ink = false;
        for (int x = 0; x < image.width() / 2 && !ink; ++x)
            ink = qGray(image.pixel(x, y)) < 110;
        if (ink && first < 0)
            first = y;
        if (!ink && first >= 0)
            return y - first;
    }
    return -1;
}

double meanGray(const QImage& image) {
    double sum = 0;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            sum += qGray(image.pixel(x, y));
    return sum / ((image.height() + 2) / 3) / ((image.width() + 2) / 3);
}

} // namespace

class TestReportExport : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void svgIsVectorWithConditions() {
        const auto dashboard = makeDashboard(runsWith(1));
        const QString path = m_dir.filePath("dash.svg");
        QString error;
        QVERIFY2(ReportExport::save(dashboard.get(), path, {}, sampleConditions(), &error),
                 qPrintable(error));
        const QString svg = readText(path);
        QVERIFY(svg.contains("<svg"));
        QCOMPARE(svg.count("<image"), 0);
        QVERIFY2(svg.count("<polyline") + svg.count("<path") > 50, qPrintable(QString::number(svg.size())));
        QVERIFY(svg.count("<text") > 20);
        QVERIFY(svg.contains("engine asio"));
        QVERIFY(svg.contains(" µs")); // tick labels are text too
    }

    void pdfHasFontsAndTheConditionsLine() {
        const QString pdffonts = QStandardPaths::findExecutable("pdffonts");
        const QString pdftoppm = QStandardPaths::findExecutable("pdftoppm");
        if (pdffonts.isEmpty() || pdftoppm.isEmpty())
            QSKIP("poppler-utils (pdffonts, pdftoppm) not installed: .ci/setup.sh LE_TEST_PACKAGES has it");
        const auto dashboard = makeDashboard(runsWith(1));
        for (const bool conditions : {true, false}) {
            const QString base = m_dir.filePath(conditions ? "with" : "without");
            ExportOptions o;
            o.size = QSize(1123, 794); // A4 landscape
            o.conditions = conditions;
            QString error;
            QVERIFY2(ReportExport::save(dashboard.get(), base + ".pdf", o, sampleConditions(), &error),
                     qPrintable(error));
            QProcess fonts;
            fonts.start(pdffonts, {base + ".pdf"});
            QVERIFY(fonts.waitForFinished(20000));
            const QStringList lines =
                QString::fromUtf8(fonts.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
            QVERIFY2(lines.size() >= 3, qPrintable(lines.join('\n'))); // two header lines, then the fonts
            QVERIFY2(lines.filter(" yes ").size() >= 1, qPrintable(lines.join('\n'))); // embedded
            // The page as a reader sees it, at 96 dpi: the A4 page is 1123 x 794 pixels again.
            QProcess render;
            render.start(pdftoppm, {"-r", "96", "-png", "-singlefile", base + ".pdf", base});
            QVERIFY(render.waitForFinished(20000));
            const QImage page(base + ".png");
            QVERIFY(!page.isNull());
            QVERIFY(std::abs(page.width() - 1123) <= 2 && std::abs(page.height() - 794) <= 2);
            // The conditions line runs across the page under the title; without it the top rows hold
            // the plots' legends, which end well before the right edge.
            const int right = rightmostInk(page, 0, 45);
            if (conditions)
                QVERIFY2(right > page.width() * 0.6, qPrintable(QString::number(right)));
            else
                QVERIFY2(right < page.width() * 0.6, qPrintable(QString::number(right)));
        }
    }

    void darkDesktopGivesALightSlide() {
        const auto dashboard = makeDashboard(runsWith(1));
        dashboard->setPalette(darkPalette());
        ExportOptions light;
        light.size = QSize(1024, 768);
        const QImage slide = ReportExport::render(dashboard.get(), light, sampleConditions());
        QVERIFY(!slide.isNull());
        QVERIFY2(meanGray(slide) > 200, qPrintable(QString::number(meanGray(slide))));
        ExportOptions screen = light;
        screen.light = false;
        const QImage asOnScreen = ReportExport::render(dashboard.get(), screen, sampleConditions());
        QVERIFY2(meanGray(asOnScreen) < 80, qPrintable(QString::number(meanGray(asOnScreen))));
        // The plots are dark again afterwards, as the desktop wants them.
        const auto* plot = dashboard->findChild<QCustomPlot*>();
        QCOMPARE(plot->palette().color(QPalette::Base), darkPalette().color(QPalette::Base));
    }

    void scaleEnlargesText() {
        const auto dashboard = makeDashboard(runsWith(1));
        ExportOptions o;
        o.size = QSize(1920, 1080);
        const QImage one = ReportExport::render(dashboard.get(), o, sampleConditions());
        o.scale = 2;
        const QImage two = ReportExport::render(dashboard.get(), o, sampleConditions());
        QCOMPARE(one.size(), QSize(1920, 1080));
        QCOMPARE(two.size(), QSize(1920, 1080));
        const int h1 = firstTextBlockHeight(one), h2 = firstTextBlockHeight(two);
        QVERIFY2(h1 > 5 && h2 > 1.6 * h1 && h2 < 2.5 * h1, qPrintable(QString("%1 %2").arg(h1).arg(h2)));
    }

    void openAndExportStatesTheSavedConditions() {
        RunSpec spec;
        spec.name = "bench";
        spec.intervals = 5;
        auto run = makeRun(spec);
        run->info() = {{"engine", "asio"}, {"transport", "udp"}, {"peer", "udp://10.1.2.3:7000"},
                       {"loop", "open"},   {"host", "lab-host"}, {"started", "2026-11-30T09:15:00"},
                       {"nice", "19"}};
        const QString session = m_dir.filePath("bench.json");
        le::save_session(session.toStdString(), *run);
        const QString svg = m_dir.filePath("opened.svg");
        QProcess p;
        p.start(LE_EXPLORER_PATH, {"-platform", "offscreen", "--open", session, "--export", svg});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QString text = readText(svg);
        for (const char* expected :
             {"engine asio", "transport udp", "udp://10.1.2.3:7000", "loop open", "lab-host",
              "2026-11-30 09:15", "payload 64 B", "measured threads nice 19"})
            QVERIFY2(text.contains(expected), expected);
        QVERIFY(!text.contains("engine blocking")); // not the idle controls of the window
        QCOMPARE(text.count("<image"), 0);
    }

private:
    QTemporaryDir m_dir;
};

LE_WINDOW_TEST_MAIN(TestReportExport)

#include "tst_report_export.moc"
