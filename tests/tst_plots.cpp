#include "distribution_plot.h"
#include "histogram_plot.h"
#include "percentile_plot.h"
#include "plot_export.h"
#include "plot_runs.h"

#include <QClipboard>
#include <QDir>
#include <QGridLayout>
#include <QGuiApplication>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

using le::Histogram;
using le::IntervalRecord;
using le::ParamChange;
using le::RunHistory;

namespace {

// A synthetic run: `intervals` one-second intervals of lognormal RTTs, optionally with intervals
// that received nothing, live changes and a summary, all added through RunHistory::add() as the
// window does.
struct RunSpec {
    std::string name = "live";
    int intervals = 10;
    int samples = 10'000; // per interval
    double medianUs = 20;
    double sigma = 0.5;
    std::uint64_t seed = 1;
    std::vector<int> silent; // intervals without a single echo
    bool changes = true;
    bool summary = true;
};

IntervalRecord recordOf(double t, const Histogram& h, std::vector<ParamChange> changes) {
    IntervalRecord r;
    r.t_s = t;
    r.duration_s = 1.0;
    r.target_rate = 10'000;
    r.achieved_rate = static_cast<double>(h.count());
    r.payload = 64;
    r.sent = h.count() ? h.count() : 10;
    r.received = h.count();
    r.lost = r.sent - r.received;
    if (!h.empty()) {
        const auto us = [&](double p) { return static_cast<double>(h.value_at_percentile(p)) / 1e3; };
        r.min_us = static_cast<double>(h.min()) / 1e3;
        r.mean_us = h.mean() / 1e3;
        r.p50_us = us(50);
        r.p90_us = us(90);
        r.p99_us = us(99);
        r.p999_us = us(99.9);
        r.p9999_us = us(99.99);
        r.max_us = static_cast<double>(h.max()) / 1e3;
    }
    r.changes = std::move(changes);
    r.rtt_ns = std::make_shared<Histogram>(h);
    return r;
}

// Appends `count` intervals after the run's last one.
void appendIntervals(RunHistory& run, int count, double medianUs, std::uint64_t seed,
                     std::vector<ParamChange> changes = {}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> rtt(std::log(medianUs * 1e3), 0.5);
    double t = run.intervals().empty() ? 0.0 : run.intervals().back().t_s;
    for (int k = 0; k < count; ++k) {
        Histogram h;
        for (int i = 0; i < 2'000; ++i)
            h.record(std::llround(rtt(rng)));
        t += 1.0;
        for (auto& c : changes)
            c.t_s = t - 0.5;
        run.add(recordOf(t, h, k == 0 ? changes : std::vector<ParamChange>{}));
    }
}

std::shared_ptr<RunHistory> makeRun(const RunSpec& spec) {
    auto run = std::make_shared<RunHistory>(spec.name);
    std::mt19937_64 rng(spec.seed);
    std::lognormal_distribution<double> rtt(std::log(spec.medianUs * 1e3), spec.sigma);
    Histogram whole;
    std::vector<ParamChange> all;
    for (int k = 0; k < spec.intervals; ++k) {
        Histogram h;
        const bool silent = std::find(spec.silent.begin(), spec.silent.end(), k) != spec.silent.end();
        for (int i = 0; i < (silent ? 0 : spec.samples); ++i)
            h.record(std::llround(rtt(rng) * (k >= 5 ? 1.5 : 1.0))); // slower after the rate change
        std::vector<ParamChange> changes;
        if (spec.changes && k == 4)
            changes.push_back({k + 0.5, "rate", "10k"});
        if (spec.changes && k == 7)
            changes.push_back({k + 0.5, "tasks", "100"});
        all.insert(all.end(), changes.begin(), changes.end());
        whole.add(h);
        run->add(recordOf(k + 1.0, h, changes));
    }
    if (spec.summary) {
        IntervalRecord s = recordOf(spec.intervals, whole, all);
        s.kind = IntervalRecord::Kind::Summary;
        run->add(s);
    }
    return run;
}

PlotRuns runsWith(int overlays, bool live = true) {
    PlotRuns runs;
    if (live)
        runs.live = makeRun({});
    for (int i = 0; i < overlays; ++i) {
        RunSpec spec;
        spec.name = "saved " + std::to_string(i + 1);
        spec.medianUs = 35.0 + 20.0 * i;
        spec.seed = 100 + static_cast<std::uint64_t>(i);
        spec.intervals = 6;
        spec.samples = 3'000;
        runs.overlays << makeRun(spec);
    }
    return runs;
}

// The three plots share no base class beyond QCustomPlot; the tests drive them through one face.
std::unique_ptr<QCustomPlot> makePlot(const QString& kind) {
    if (kind == "histogram")
        return std::make_unique<HistogramPlot>();
    if (kind == "percentile")
        return std::make_unique<PercentilePlot>();
    return std::make_unique<DistributionPlot>();
}

void setRuns(QCustomPlot* plot, const PlotRuns& runs) {
    if (auto* p = qobject_cast<HistogramPlot*>(plot))
        p->setRuns(runs);
    else if (auto* p = qobject_cast<PercentilePlot*>(plot))
        p->setRuns(runs);
    else if (auto* p = qobject_cast<DistributionPlot*>(plot))
        p->setRuns(runs);
}

void refresh(QCustomPlot* plot, bool force) {
    QVERIFY(QMetaObject::invokeMethod(plot, "refresh", Qt::DirectConnection, Q_ARG(bool, force)));
}

QList<QPointF> points(const QCPGraph* graph) {
    QList<QPointF> out;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        out << QPointF(it->key, it->value);
    return out;
}

int distinctColours(const QImage& image) {
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2)
            colours.insert(image.pixel(x, y));
    }
    return static_cast<int>(colours.size());
}

template <typename Item> QList<Item*> itemsOf(const QCustomPlot& plot) {
    QList<Item*> out;
    for (int i = 0; i < plot.itemCount(); ++i) {
        if (auto* item = qobject_cast<Item*>(plot.item(i)))
            out << item;
    }
    return out;
}

// The legend is a grid: wrapped into rows it has empty cells, which itemCount() includes.
int legendEntries(const QCustomPlot& plot) {
    int n = 0;
    for (int i = 0; i < plot.legend->itemCount(); ++i)
        n += plot.legend->item(i) != nullptr;
    return n;
}

double relativeLuminance(const QColor& c) {
    const auto channel = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

double contrast(const QColor& a, const QColor& b) {
    const double la = relativeLuminance(a), lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QPalette darkPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x20, 0x21, 0x24));
    p.setColor(QPalette::WindowText, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::AlternateBase, QColor(0x2a, 0x2a, 0x2a));
    p.setColor(QPalette::Text, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Button, QColor(0x30, 0x31, 0x34));
    p.setColor(QPalette::ButtonText, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Mid, QColor(0x50, 0x50, 0x50));
    return p;
}

// The panel the window exports as "dashboard": the three plots in a grid.
std::unique_ptr<QWidget> makeDashboard(const PlotRuns& runs) {
    auto dashboard = std::make_unique<QWidget>();
    auto* grid = new QGridLayout(dashboard.get());
    int i = 0;
    for (const char* kind : {"percentile", "histogram", "distribution"}) {
        QCustomPlot* plot = makePlot(kind).release();
        setRuns(plot, runs);
        grid->addWidget(plot, i == 0 ? 0 : 1, i == 0 ? 0 : i - 1, 1, i == 0 ? 2 : 1);
        ++i;
    }
    dashboard->resize(1000, 700);
    return dashboard;
}

} // namespace

class TestPlots : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void runColours();
    void formatMicros_data();
    void formatMicros();

    void seriesAndLegend_data();
    void seriesAndLegend();
    void histogramSharesSumTo100_data();
    void histogramSharesSumTo100();
    void histogramPercentileMarkers();
    void percentileChangeMarkers();
    void percentileGaps();
    void percentileAppendsOnlyNewIntervals();
    void percentileFollowsNewest();
    void distributionReachesTheTail();
    void hiddenPlotsSkipWork_data();
    void hiddenPlotsSkipWork();
    void legendClickTogglesSeries_data();
    void legendClickTogglesSeries();
    void followsDarkPalette();

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
    QTemporaryDir m_dir;
    PlotRuns m_runs; // live + one overlay, shared by the tests that only read
};

void TestPlots::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_runs = runsWith(1);
}

void TestPlots::runColours() {
    QSet<QRgb> seen;
    for (int i = 0; i < 16; ++i) {
        const QColor c = runColour(i);
        seen.insert(c.rgb());
        QVERIFY2(contrast(c, Qt::white) >= 2.5, qPrintable(QString("colour %1 on white").arg(i)));
        QVERIFY2(contrast(c, QColor(0x1e, 0x1e, 0x1e)) >= 2.5,
                 qPrintable(QString("colour %1 on dark").arg(i)));
    }
    QCOMPARE(seen.size(), 16);
}

void TestPlots::formatMicros_data() {
    QTest::addColumn<double>("us");
    QTest::addColumn<QString>("text");
    QTest::newRow("µs") << 42.14 << QString("42.1 µs");
    QTest::newRow("whole") << 100.0 << QString("100 µs");
    QTest::newRow("ns") << 0.85 << QString("850 ns");
    QTest::newRow("ms") << 1250.0 << QString("1.25 ms");
    QTest::newRow("rounds up a unit") << 999.96 << QString("1 ms");
    QTest::newRow("s") << 2e6 << QString("2 s");
}

void TestPlots::formatMicros() {
    QFETCH(double, us);
    QFETCH(QString, text);
    QCOMPARE(::formatMicros(us), text);
}

void TestPlots::seriesAndLegend_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("live");
    QTest::addColumn<bool>("liveEmpty");
    QTest::addColumn<int>("overlays");
    QTest::addColumn<int>("graphs");
    for (const QString kind : {"histogram", "percentile", "distribution"}) {
        const int perLive = kind == "percentile" ? 5 : 1, perOverlay = kind == "percentile" ? 2 : 1;
        const QByteArray k = kind.toLatin1();
        QTest::newRow(k + " live") << kind << true << false << 0 << perLive;
        QTest::newRow(k + " live+2") << kind << true << false << 2 << perLive + 2 * perOverlay;
        QTest::newRow(k + " overlay only") << kind << false << false << 1 << perOverlay;
        QTest::newRow(k + " empty live+1") << kind << true << true << 1 << perOverlay;
        QTest::newRow(k + " nothing") << kind << false << false << 0 << 0;
    }
}

void TestPlots::seriesAndLegend() {
    QFETCH(QString, kind);
    QFETCH(bool, live);
    QFETCH(bool, liveEmpty);
    QFETCH(int, overlays);
    QFETCH(int, graphs);

    PlotRuns runs = runsWith(overlays, live);
    if (liveEmpty)
        runs.live = std::make_shared<RunHistory>("live"); // started, nothing measured yet
    auto plot = makePlot(kind);
    setRuns(plot.get(), runs);
    refresh(plot.get(), true);

    QCOMPARE(plot->graphCount(), graphs);
    QCOMPARE(legendEntries(*plot), graphs);
    for (int i = 0; i < graphs; ++i) {
        QVERIFY2(plot->graph(i)->dataCount() > 0, qPrintable(plot->graph(i)->name()));
        QVERIFY(!plot->graph(i)->name().isEmpty());
    }

    // Fewer runs afterwards: the graphs and legend entries of the removed ones go.
    setRuns(plot.get(), runsWith(0, live && !liveEmpty));
    refresh(plot.get(), true);
    QCOMPARE(legendEntries(*plot), plot->graphCount());
}

void TestPlots::histogramSharesSumTo100_data() {
    QTest::addColumn<bool>("wholeRun");
    QTest::newRow("window") << false;
    QTest::newRow("whole run") << true;
}

void TestPlots::histogramSharesSumTo100() {
    QFETCH(bool, wholeRun);
    HistogramPlot plot;
    plot.setWholeRun(wholeRun);
    plot.setRuns(m_runs);
    plot.refresh(true);
    QCOMPARE(plot.graphCount(), 2);
    for (int g = 0; g < plot.graphCount(); ++g) {
        double sum = 0;
        for (const QPointF& p : points(plot.graph(g))) {
            QVERIFY(p.x() > 0); // log axis
            sum += p.y();
        }
        QVERIFY2(std::abs(sum - 100.0) < 0.01, qPrintable(QString::number(sum)));
        // A readable number of bins, not one per bucket.
        QVERIFY(plot.graph(g)->dataCount() >= 50);
        QVERIFY(plot.graph(g)->dataCount() <= 300);
    }
    QCOMPARE(plot.graph(0)->name().contains("last 10 s"), !wholeRun);
}

void TestPlots::histogramPercentileMarkers() {
    HistogramPlot plot;
    plot.setWholeRun(true);
    plot.setRuns(m_runs);
    plot.refresh(true);
    const auto lines = itemsOf<QCPItemStraightLine>(plot);
    const auto labels = itemsOf<QCPItemText>(plot);
    QCOMPARE(lines.size(), 3);
    QCOMPARE(labels.size(), 3);
    QVERIFY(labels[0]->text().startsWith("p50 "));
    QVERIFY(labels[1]->text().startsWith("p99 "));
    QVERIFY(labels[2]->text().startsWith("p99.9 "));
    QVERIFY(labels[1]->text().endsWith(" µs"));
    const double p99 = static_cast<double>(m_runs.live->whole_run().value_at_percentile(99)) / 1e3;
    QCOMPARE(lines[1]->point1->key(), p99);

    // Rebuilt, not piled up, at every refresh.
    plot.refresh(true);
    QCOMPARE(itemsOf<QCPItemStraightLine>(plot).size(), 3);
}

void TestPlots::percentileChangeMarkers() {
    auto live = makeRun({});
    PercentilePlot plot;
    plot.setRuns({live, {}});
    plot.refresh(true);
    QCOMPARE(live->changes().size(), std::size_t{2});
    QCOMPARE(itemsOf<QCPItemStraightLine>(plot).size(), 2);
    QStringList texts;
    for (const QCPItemText* label : itemsOf<QCPItemText>(plot))
        texts << label->text();
    QCOMPARE(texts, QStringList({"rate → 10k", "tasks → 100"}));
    QCOMPARE(itemsOf<QCPItemStraightLine>(plot)[0]->point1->key(), 4.5);

    // A change arriving later adds its marker on the append path.
    appendIntervals(*live, 2, 20, 7, {{0, "payload", "1KiB"}});
    plot.refresh(true);
    QCOMPARE(itemsOf<QCPItemStraightLine>(plot).size(), 3);
    QCOMPARE(static_cast<std::size_t>(itemsOf<QCPItemStraightLine>(plot).size()), live->changes().size());
}

void TestPlots::percentileGaps() {
    RunSpec spec;
    spec.silent = {3, 4};
    PercentilePlot plot;
    plot.setRuns({makeRun(spec), {}});
    plot.refresh(true);
    QCOMPARE(plot.graphCount(), 5);
    for (int g = 0; g < plot.graphCount(); ++g) {
        const QList<QPointF> p = points(plot.graph(g));
        QCOMPARE(p.size(), 10);
        for (int i = 0; i < p.size(); ++i) {
            if (i == 3 || i == 4)
                QVERIFY2(std::isnan(p[i].y()), "an interval without echoes must be a gap");
            else
                QVERIFY(p[i].y() > 0);
        }
    }
}

void TestPlots::percentileAppendsOnlyNewIntervals() {
    auto live = makeRun({});
    PlotRuns runs = runsWith(1);
    runs.live = live;
    PercentilePlot plot;
    plot.setRuns(runs);
    plot.refresh(true);
    QCPGraph* first = plot.graph(0);
    QCOMPARE(first->dataCount(), 10);
    const int overlayPoints = plot.graph(5)->dataCount();

    appendIntervals(*live, 3, 25, 11);
    plot.setRuns(runs); // what the window does every tick: same objects, so nothing is rebuilt
    plot.refresh(true);
    QCOMPARE(plot.graph(0), first);
    for (int g = 0; g < 5; ++g)
        QCOMPARE(plot.graph(g)->dataCount(), 13);
    QCOMPARE(plot.graph(5)->dataCount(), overlayPoints);
    QCOMPARE(plot.graph(0)->data()->at(12)->key, 13.0);

    // A different live run is rebuilt from scratch.
    runs.live = makeRun({});
    plot.setRuns(runs);
    plot.refresh(true);
    QCOMPARE(plot.graph(0)->dataCount(), 10);
}

void TestPlots::percentileFollowsNewest() {
    auto live = makeRun({});
    PercentilePlot plot;
    QSignalSpy spy(&plot, &PercentilePlot::autoFollowChanged);
    plot.setRuns({live, {}});
    plot.setTimeWindow(5);
    plot.refresh(true);
    QVERIFY(plot.autoFollow());
    QCOMPARE(spy.count(), 0);
    QVERIFY(plot.xAxis->range().upper >= 10.0);
    QVERIFY(plot.xAxis->range().upper <= 10.5);
    QCOMPARE(plot.xAxis->range().lower, 5.0);
    QVERIFY(plot.yAxis->range().lower > 0);

    appendIntervals(*live, 5, 20, 3);
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range().lower, 10.0);

    // The user's zoom (here the call a wheel event makes) ends following.
    plot.xAxis->scaleRange(0.5);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    QVERIFY(!plot.autoFollow());
    const QCPRange zoomed = plot.xAxis->range();
    appendIntervals(*live, 5, 20, 4);
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range(), zoomed);

    plot.resetAxes();
    QVERIFY(plot.autoFollow());
    QCOMPARE(spy.count(), 2);
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range().lower, 15.0);

    plot.setTimeWindow(0); // whole run
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range().lower, 0.0);
    QVERIFY(plot.xAxis->range().upper >= 20.0);
}

void TestPlots::distributionReachesTheTail() {
    DistributionPlot plot;
    plot.setWholeRun(true);
    plot.setRuns({m_runs.live, {}}); // 10 x 10k samples
    plot.refresh(true);
    QCOMPARE(plot.graphCount(), 1);
    QVERIFY(plot.xAxis->range().lower <= 1.0);
    QVERIFY(plot.xAxis->range().upper >= 1000.0); // 99.9%
    const QList<QPointF> p = points(plot.graph(0));
    QCOMPARE(p.front().x(), 1.0);
    QCOMPARE(p.back().x(), 100'000.0); // the 1-in-100k level
    QCOMPARE(p.back().y(), static_cast<double>(m_runs.live->whole_run().max()) / 1e3);
    for (int i = 1; i < p.size(); ++i) {
        QVERIFY2(p[i].x() >= p[i - 1].x(), qPrintable(QString("x at %1").arg(i)));
        QVERIFY2(p[i].y() >= p[i - 1].y(), qPrintable(QString("y at %1").arg(i)));
    }
    // The step holding x = 100 (99%) is the run's p99.
    double atP99 = 0;
    for (const QPointF& q : p) {
        if (q.x() <= 100.0)
            atP99 = q.y();
    }
    const double p99 = static_cast<double>(m_runs.live->whole_run().value_at_percentile(99)) / 1e3;
    QVERIFY2(std::abs(atP99 - p99) / p99 < 0.01, qPrintable(QString("%1 vs %2").arg(atP99).arg(p99)));

    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(plot.xAxis->ticker());
    QVERIFY(ticker);
    const QStringList labels = ticker->ticks().values();
    for (const char* label : {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"})
        QVERIFY2(labels.contains(label), label);
    QCOMPARE(ticker->ticks().value(1000.0), QString("99.9%"));
}

void TestPlots::hiddenPlotsSkipWork_data() {
    QTest::addColumn<QString>("kind");
    QTest::newRow("histogram") << QString("histogram");
    QTest::newRow("percentile") << QString("percentile");
    QTest::newRow("distribution") << QString("distribution");
}

void TestPlots::hiddenPlotsSkipWork() {
    QFETCH(QString, kind);
    auto live = makeRun({});
    auto plot = makePlot(kind);
    plot->resize(640, 400);
    setRuns(plot.get(), {live, {}});
    refresh(plot.get(), false);
    QCOMPARE(plot->graphCount(), 0); // never shown: nothing done

    refresh(plot.get(), true);
    QVERIFY(plot->graphCount() > 0);
    const QList<QPointF> before = points(plot->graph(0));

    appendIntervals(*live, 10, 300, 5); // much slower: every curve changes
    refresh(plot.get(), false);
    QCOMPARE(points(plot->graph(0)), before);

    // Shown again, it catches up by itself (the window's timer may have nothing new to say).
    plot->show();
    QVERIFY(QTest::qWaitForWindowExposed(plot.get()));
    QTRY_VERIFY(points(plot->graph(0)) != before);
}

void TestPlots::legendClickTogglesSeries_data() {
    hiddenPlotsSkipWork_data();
}

void TestPlots::legendClickTogglesSeries() {
    QFETCH(QString, kind);
    auto plot = makePlot(kind);
    plot->resize(800, 500);
    setRuns(plot.get(), m_runs);
    plot->show();
    QVERIFY(QTest::qWaitForWindowExposed(plot.get()));
    refresh(plot.get(), true);
    plot->replot(QCustomPlot::rpImmediateRefresh); // lays out the legend

    QSignalSpy clicks(plot.get(), &QCustomPlot::legendClick);
    const int target = 1;
    QCPAbstractLegendItem* entry = plot->legend->itemWithPlottable(plot->graph(target));
    QVERIFY(entry);
    const QColor shownText = entry->textColor();
    QTest::mouseClick(plot.get(), Qt::LeftButton, {}, entry->rect().center());
    QCOMPARE(clicks.count(), 1);
    QVERIFY(!plot->graph(target)->visible());
    QVERIFY(plot->graph(0)->visible());
    QVERIFY(entry->textColor() != shownText); // greyed, still there to click back

    // The choice survives the rebuild at the next refresh, and a new set of runs.
    refresh(plot.get(), true);
    QVERIFY(!plot->graph(target)->visible());
    PlotRuns same = m_runs;
    same.overlays << runsWith(1).overlays.front();
    setRuns(plot.get(), same);
    refresh(plot.get(), true);
    QVERIFY(!plot->graph(target)->visible());

    plot->replot(QCustomPlot::rpImmediateRefresh);
    entry = plot->legend->itemWithPlottable(plot->graph(target));
    QTest::mouseClick(plot.get(), Qt::LeftButton, {}, entry->rect().center());
    QVERIFY(plot->graph(target)->visible());
    QCOMPARE(entry->textColor(), shownText);
}

void TestPlots::followsDarkPalette() {
    PercentilePlot plot;
    plot.setRuns(m_runs);
    plot.refresh(true);
    const auto labels = itemsOf<QCPItemText>(plot);
    QVERIFY(!labels.isEmpty());
    const QPalette dark = darkPalette();
    plot.setPalette(dark); // no refresh: the window may not call one while the run is stopped
    const QColor text = dark.color(QPalette::Text);
    QCOMPARE(plot.xAxis->tickLabelColor(), text);
    QCOMPARE(plot.yAxis->labelColor(), text);
    QCOMPARE(plot.legend->textColor(), text);
    for (const QCPItemText* label : labels) {
        QCOMPARE(label->color(), text);
        QCOMPARE(label->brush().color().rgb(), dark.color(QPalette::Base).rgb());
    }
    QCOMPARE(plot.toPixmap(300, 200).toImage().pixelColor(1, 1), dark.color(QPalette::Base));
    // Light text on a dark background, not the light theme's dark grey.
    QVERIFY(contrast(plot.xAxis->tickLabelColor(), dark.color(QPalette::Base)) > 7);
}

void TestPlots::exportRaster_data() {
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

void TestPlots::exportRaster() {
    QFETCH(QString, kind);
    QFETCH(QString, ext);
    QFETCH(double, scale);
    if (!PlotExport::formats().contains(ext))
        QSKIP("no JPEG writer in this Qt");
    std::unique_ptr<QWidget> widget = kind == "dashboard" ? makeDashboard(m_runs) : makePlot(kind);
    if (auto* plot = qobject_cast<QCustomPlot*>(widget.get()))
        setRuns(plot, m_runs);
    const QSize before = widget->size();
    const QString path = m_dir.filePath(QString("%1-%2.%3").arg(kind).arg(scale).arg(ext));
    QString error;
    QVERIFY2(PlotExport::save(widget.get(), path, QSize(800, 500), scale, &error), qPrintable(error));
    const QImage image(path);
    QCOMPARE(image.size(), QSize(800, 500) * scale);
    QVERIFY2(distinctColours(image) > 20, qPrintable(QString::number(distinctColours(image))));
    QCOMPARE(widget->size(), before); // the temporary export size is undone
}

void TestPlots::exportPdf_data() {
    QTest::addColumn<QString>("kind");
    for (const char* kind : {"histogram", "percentile", "distribution", "dashboard"})
        QTest::newRow(kind) << QString(kind);
}

void TestPlots::exportPdf() {
    QFETCH(QString, kind);
    std::unique_ptr<QWidget> widget = kind == "dashboard" ? makeDashboard(m_runs) : makePlot(kind);
    if (auto* plot = qobject_cast<QCustomPlot*>(widget.get()))
        setRuns(plot, m_runs);
    const QString path = m_dir.filePath(kind + ".pdf");
    QString error;
    QVERIFY2(PlotExport::save(widget.get(), path, QSize(800, 500), 1.0, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray pdf = file.readAll();
    QVERIFY(pdf.startsWith("%PDF"));
    QVERIFY2(pdf.size() > 1024, qPrintable(QString::number(pdf.size())));
    // Page size = export size, in points.
    const auto box = QRegularExpression(R"(/MediaBox \[([^\]]*)\])").match(QString::fromLatin1(pdf));
    const QStringList corners = box.captured(1).simplified().split(' ');
    QCOMPARE(corners.size(), 4);
    QCOMPARE(corners[2].toDouble(), 800.0);
    QCOMPARE(corners[3].toDouble(), 500.0);
}

void TestPlots::exportSvg_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("tickLabel");
    QTest::newRow("histogram") << QString("histogram") << QString(" µs");
    QTest::newRow("percentile") << QString("percentile") << QString(" µs");
    QTest::newRow("distribution") << QString("distribution") << QString("99.9%");
    QTest::newRow("dashboard") << QString("dashboard") << QString();
}

void TestPlots::exportSvg() {
    QFETCH(QString, kind);
    QFETCH(QString, tickLabel);
    std::unique_ptr<QWidget> widget = kind == "dashboard" ? makeDashboard(m_runs) : makePlot(kind);
    if (auto* plot = qobject_cast<QCustomPlot*>(widget.get()))
        setRuns(plot, m_runs);
    const QString path = m_dir.filePath(kind + ".svg");
    QString error;
    QVERIFY2(PlotExport::save(widget.get(), path, QSize(800, 500), 1.0, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString svg = QString::fromUtf8(file.readAll());
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

void TestPlots::exportErrors_data() {
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

void TestPlots::exportErrors() {
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

void TestPlots::exportRefreshesHiddenPlots() {
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

void TestPlots::copyToClipboard() {
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
void TestPlots::savePlotsForLooking() {
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
            setRuns(plot.get(), runs);
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
            setRuns(plot.get(), r);
            save(plot.get(), QString("%1_%2").arg(kind, name), QSize(900, 520));
            if (name == "wide")
                save(plot.get(), QString("%1_small").arg(kind), QSize(420, 260));
        }
    }
}

QTEST_MAIN(TestPlots)
#include "tst_plots.moc"
