// The Sweep tab: a quick sweep run through the window, points on the figure at their achieved
// rates, axis ticks from measured values, overlays, exports, and the headless --open/--export.
#include "main_window.h"
#include "sweep_plot.h"
#include "sweep_tab.h"
#include "timeline_test_support.h"
#include "widget_lookup.h"

#include <QtTest>

#include <QCheckBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QProgressBar>
#include <QTabWidget>
#include <QTemporaryDir>

using namespace le;

namespace {

// A sweep on disk whose achieved rates differ from their targets by far (as a saturated peer's
// would): the figure must place and label them by what was achieved.
SweepFile syntheticSweep() {
    SweepFile f;
    f.spec.rates = {100, 1e6};
    f.spec.tasks = {0, 100};
    f.spec.icmp = true;
    int n = 0;
    for (int tasks : {0, 100})
        for (double rate : {100.0, 1e6}) {
            SweepPointResult p;
            p.key = QStringLiteral("k%1").arg(n++).toStdString();
            p.transport = "tcp";
            p.engine = "blocking";
            p.tasks = tasks;
            p.payload = 64;
            p.target_rate = rate;
            p.achieved_rate = rate == 100 ? 99.5 : 14'000 + tasks; // 1M asked, 14k achieved
            p.sent = p.received = 1000;
            for (int i = 0; i < 1000; ++i)
                p.rtt.record((rate == 100 ? 60'000 : 20'000) + tasks * 100 + i * 10);
            f.points.push_back(p);
        }
    SweepPointResult icmp;
    icmp.key = "icmp";
    icmp.icmp = true;
    icmp.transport = "icmp";
    icmp.engine = "ping";
    icmp.target_rate = 100;
    icmp.achieved_rate = 98;
    icmp.sent = icmp.received = 10;
    for (int i = 0; i < 10; ++i)
        icmp.rtt.record(30'000 + i);
    f.points.push_back(icmp);
    return f;
}

// The figure's curves as a reader finds them: one line graph per legend entry, in curve order (the
// band and marker graphs have no legend entry). Fetched again after every redraw, which replaces
// the graphs.
QList<QCPGraph*> lineGraphs(const SweepPlot& plot) {
    QList<QCPGraph*> lines;
    for (int i = 0; i < plot.graphCount(); ++i)
        if (plot.legend->hasItemWithPlottable(plot.graph(i)))
            lines << plot.graph(i);
    return lines;
}

// Share of pixels that differ from the corner colour: a blank export is ~0.
double inkShare(const QImage& image) {
    const QRgb bg = image.pixel(0, image.height() - 1);
    qint64 ink = 0;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            ink += image.pixel(x, y) != bg;
    return double(ink) / (double(image.width()) * image.height() / 4);
}

} // namespace

class TestSweepWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void runsAQuickSweepInTheTab() {
        WindowOptions o;
        o.autoStart = false;
        MainWindow w(o);
        w.resize(1400, 900);
        w.show();
        SweepTab* tab = w.sweepTab();
        QCOMPARE(w.tabs()->indexOf(tab), 1);
        w.tabs()->setCurrentWidget(tab);
        QTemporaryDir dir;
        setUpShortSweep(tab, "200,inf", true, dir.filePath("w.json"));
        QSignalSpy points(tab, &SweepTab::pointFinished);
        QSignalSpy done(tab, &SweepTab::finished);
        QCOMPARE(tab->start(), QString());
        QVERIFY(tab->running());
        QVERIFY(done.wait(20000));
        QCOMPARE(points.size(), 4); // 2 rates on UDP, and ICMP at both
        QVERIFY(!tab->running());
        QCOMPARE(child<QProgressBar>(tab, "progressBar")->value(), 4);
        const QLabel* status = child<QLabel>(tab, "statusLabel");
        QVERIFY2(status->text().contains("points measured"), qPrintable(status->text()));
        // The tab's current sweep, as its table export gives it, and as it saved it after each point.
        QCOMPARE(tab->exportTable(dir.filePath("current.json")), QString());
        const auto current =
            std::make_shared<const SweepFile>(load_sweep(dir.filePath("current.json").toStdString()));
        QCOMPARE(current->points.size(), 4u);
        QCOMPARE(load_sweep(dir.filePath("w.json").toStdString()).points.size(), 4u);

        // The figure: one UDP curve (and ICMP when ping is permitted), keys = achieved rates.
        SweepPlot* plot = child<SweepPlot>(tab, "sweepPlot");
        const QList<SweepCurve> curves = sweepCurves({{QString(), current}});
        const QList<QCPGraph*> lines = lineGraphs(*plot);
        QCOMPARE(lines.size(), curves.size()); // the figure draws every curve of the sweep
        QVERIFY(!curves.isEmpty());
        QCOMPARE(curves[0].name, QStringLiteral("blocking/udp"));
        QCOMPARE(lines[0]->name(), QStringLiteral("blocking/udp p50"));
        QCOMPARE(curves[0].points.size(), 2);
        QCPGraph* line = lines[0];
        QCOMPARE(line->dataCount(), 2);
        std::vector<double> achieved;
        for (const auto& p : current->points)
            if (!p.icmp)
                achieved.push_back(p.achieved_rate);
        std::sort(achieved.begin(), achieved.end());
        QCOMPARE(line->data()->at(0)->key, achieved[0]);
        QCOMPARE(line->data()->at(1)->key, achieved[1]);
        QCOMPARE(line->data()->at(0)->value, current->points[0].percentile_us(50));
        QVERIFY(plot->xAxis->range().contains(achieved[0]) && plot->xAxis->range().contains(achieved[1]));
        QCOMPARE(plot->xAxis->label(), QStringLiteral("achieved rate (msg/s)"));
        QCOMPARE(plot->yAxis->label(), QStringLiteral("RTT (µs)"));
        if (curves.size() > 1) {
            QVERIFY(curves[1].icmp);
            QCOMPARE(lines[1]->pen().style(), Qt::DashLine);
        }
        QVERIFY(child<SweepTasksPlot>(tab, "tasksPlot")->graphCount() >= 1);
        QTest::qWait(100);
        QImage shot = tab->grab().toImage();
        shot.save(dir.filePath("tab.png"));
        if (qEnvironmentVariableIsSet("LE_SWEEP_SCREENSHOT"))
            w.grab().save(qEnvironmentVariable("LE_SWEEP_SCREENSHOT"));
        QVERIFY(inkShare(plot->toPixmap(800, 500).toImage()) > 0.02);
    }

    // 1M/s asked, 14k/s achieved: placed and labelled at 14k, and the x axis ends near it.
    void ticksComeFromMeasuredRates() {
        QTemporaryDir dir;
        const QString path = dir.filePath("s.csv");
        save_sweep(path.toStdString(), syntheticSweep());
        SweepTab tab;
        tab.resize(1200, 800);
        QCOMPARE(tab.openSweep(path), QString());
        SweepPlot* plot = child<SweepPlot>(&tab, "sweepPlot");
        plot->refresh(true);
        plot->replot();
        // The tab names an opened sweep after its file.
        const SweepData opened{QStringLiteral("s"),
                               std::make_shared<const SweepFile>(load_sweep(path.toStdString()))};
        const QList<SweepCurve> curves = sweepCurves({opened});
        QCOMPARE(lineGraphs(*plot).size(), curves.size());
        QCOMPARE(curves.size(), 3); // 0 tasks, 100 tasks, ICMP
        QCOMPARE(curves[0].name, QStringLiteral("blocking/tcp/0 tasks"));
        QCOMPARE(curves[1].name, QStringLiteral("blocking/tcp/100 tasks"));
        QVERIFY(curves[2].icmp);
        QCOMPARE(lineGraphs(*plot)[0]->data()->at(1)->key, 14'000.0);
        QCOMPARE(lineGraphs(*plot)[1]->data()->at(1)->key, 14'100.0);
        const QCPRange x = plot->xAxis->range();
        QVERIFY2(x.upper < 1e5 && x.upper > 14'100, qPrintable(QString::number(x.upper))); // not 1M
        QVERIFY(x.lower < 98 && x.lower > 10);
        // The tick labels are the measured decades: 100, 1k, 10k; none reaches 1M.
        QStringList labels = plot->xAxis->tickVectorLabels().toList();
        QVERIFY2(labels.contains("100") && labels.contains("1k") && labels.contains("10k"),
                 qPrintable(labels.join(' ')));
        QVERIFY(!labels.contains("1M") && !labels.contains("100k"));
        // y: p50 of the 1M-target point is ~25 µs, of the 100/s point ~65 µs; range holds them.
        QVERIFY(plot->yAxis->range().contains(lineGraphs(*plot)[0]->data()->at(0)->value));
        QVERIFY(plot->yAxis->range().upper < 1000);
        QCOMPARE(lineGraphs(*plot)[2]->pen().style(), Qt::DashLine);
        // Percentile toggle: the line follows p99 now.
        plot->setLinePercentile(99);
        QVERIFY(lineGraphs(*plot)[0]->name().endsWith("p99"));
        QVERIFY(lineGraphs(*plot)[0]->data()->at(0)->value >
                curves[0].points[0].rtt.value_at_percentile(50) / 1000.0);
        // Overlay a second copy: series double, named after their files.
        QCOMPARE(tab.openSweep(path), QString());
        plot->refresh(true);
        const QList<SweepCurve> twice = sweepCurves({opened, opened});
        QCOMPARE(lineGraphs(*plot).size(), twice.size());
        QCOMPARE(twice.size(), 6);
        QVERIFY(twice[3].name.startsWith("s: "));
        QVERIFY(lineGraphs(*plot)[3]->name().startsWith("s: "));
        QVERIFY(tab.openSweep(dir.filePath("missing.csv")).contains("cannot read"));
        // RTT vs tasks at 1M target: two task counts on the x axis.
        SweepTasksPlot* tasksPlot = child<SweepTasksPlot>(&tab, "tasksPlot");
        tasksPlot->setRate(1e6);
        QVERIFY(tasksPlot->graphCount() >= 2);
        QCOMPARE(tasksPlot->graph(0)->dataCount(), 2);
        // Exports: figure and table.
        QCOMPARE(tab.exportFigure(dir.filePath("f.svg")), QString());
        QVERIFY(QFileInfo(dir.filePath("f.svg")).size() > 1000);
        QCOMPARE(tab.exportTable(dir.filePath("t.json")), QString());
        QCOMPARE(load_sweep(dir.filePath("t.json").toStdString()).points.size(), 5u);
    }

    void headlessExport() {
        QTemporaryDir dir;
        const QString path = dir.filePath("sweep.csv");
        save_sweep(path.toStdString(), syntheticSweep());
        QProcess p;
        p.setProcessEnvironment([] {
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("QT_QPA_PLATFORM", "offscreen");
            return env;
        }());
        const QString png = dir.filePath("fig.png");
        p.start(LE_EXPLORER_PATH, {"--open", path, "--export", png});
        QVERIFY(p.waitForFinished(20000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1200, 800));
        QVERIFY2(inkShare(image) > 0.03, qPrintable(QString::number(inkShare(image))));
    }
};

QTEST_MAIN(TestSweepWindow)
#include "tst_sweep_window.moc"
