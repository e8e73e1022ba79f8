// The percentiles over time drawn live: between the steps of its time axis, a refresh draws only the
// strip of the points it appended onto the last replot's image (PlotBase::drawAppended). What it
// shows must be what a whole replot shows, pixel for pixel, whatever else the plot holds (overlays
// with dashed pens crossing the strip, markers, gaps), and anything a strip cannot show (a new marker,
// a new axis range) must replot.
#include "percentile_plot.h"
#include "plot_test_support.h"
#include "split_plot.h"

#include <QtTest>

namespace {

// Pixels that differ between two images of one size.
int differing(const QImage& a, const QImage& b) {
    if (a.size() != b.size())
        return -1;
    const QImage x = a.convertToFormat(QImage::Format_RGB32), y = b.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int row = 0; row < x.height(); ++row) {
        const auto* p = reinterpret_cast<const QRgb*>(x.constScanLine(row));
        const auto* q = reinterpret_cast<const QRgb*>(y.constScanLine(row));
        for (int col = 0; col < x.width(); ++col) {
            n += p[col] != q[col];
        }
    }
    return n;
}

// `plot` as the window shows it while a run streams: drawn live, on screen, drawn once.
bool showLive(PercentilePlot& plot, const PlotRuns& runs, double window) {
    plot.resize(900, 420);
    plot.setLiveDrawing(true);
    plot.setTimeWindow(window);
    plot.setRuns(runs);
    plot.show();
    const bool exposed = QTest::qWaitForWindowExposed(&plot);
    plot.refresh(true);
    return exposed;
}

// Appends `count` records of 1/30 s with a kernel-timestamp split whose parts wander (send 1-3 µs,
// wire 5-15 µs, wake 2-8 µs at p50, three times that at p99), 2000 samples each.
void appendSplitRecords(RunHistory& run, int count, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    const auto part = [&](double low, double high) {
        le::PartStats s;
        s.count = 2000;
        s.mean_us = s.p50_us = low + (high - low) * u(rng);
        s.p99_us = s.max_us = 3 * s.p50_us;
        s.p90_us = 2 * s.p50_us;
        return s;
    };
    Histogram h;
    h.record(20'000);
    for (int k = 0; k < count; ++k) {
        IntervalRecord r =
            recordOf((run.intervals().empty() ? 0.0 : run.intervals().back().t_s) + 1.0 / 30, h, {});
        r.duration_s = 1.0 / 30;
        r.split_available = "yes";
        r.split.send = part(1, 3);
        r.split.wire = part(5, 15);
        r.split.wake = part(2, 8);
        run.add(r);
    }
}

} // namespace

class TestAppendDrawing : public QObject {
    Q_OBJECT
private slots:
    void stripsMatchReplots_data();
    void stripsMatchReplots();
    void whatAStripCannotShowReplots();
    void timeAxisMovesInSteps();
    void splitStripsMatchReplots_data();
    void splitStripsMatchReplots();
};

void TestAppendDrawing::stripsMatchReplots_data() {
    QTest::addColumn<double>("window");
    QTest::addColumn<int>("overlays");
    QTest::addColumn<int>("frames");
    QTest::addColumn<int>("minStrips"); // of the frames, at least this many drawn as strips
    // A 60 s window in its first minute: the axis rescales twice (to 7.65 s, 15.3 s), else stands.
    QTest::newRow("filling a 60 s window") << 60.0 << 0 << 240 << 225;
    // A 4 s window scrolls in steps of 1/15 s, every other frame: the other frames are strips.
    QTest::newRow("scrolling a 4 s window") << 4.0 << 0 << 240 << 90;
    // Two saved runs of 6 s: their dashed p50 and p99 cross the strips of the live run's first 6 s,
    // which are replotted (a dash pattern cut at the strip would restart there); strips after.
    QTest::newRow("with overlays") << 60.0 << 2 << 300 << 75;
    QTest::newRow("long, a 10 s window") << 10.0 << 0 << 600 << 400;
}

void TestAppendDrawing::stripsMatchReplots() {
    QFETCH(double, window);
    QFETCH(int, overlays);
    QFETCH(int, frames);
    QFETCH(int, minStrips);

    PlotRuns runs = runsWith(overlays, false);
    auto live = std::make_shared<RunHistory>("live");
    runs.live = live;
    std::mt19937_64 rng(3);
    appendRecords(*live, 30, rng);
    PercentilePlot plot;
    QVERIFY(showLive(plot, runs, window));

    // The twin draws every frame whole.
    PercentilePlot twin;
    QVERIFY(showLive(twin, runs, window));
    int strips = 0, compared = 0;
    for (int frame = 1; frame <= frames; ++frame) {
        // Every 50th record without an echo: a gap in every curve.
        appendRecords(*live, 1, rng, 1.0 / 30, frame % 50 == 0 ? 0 : 1000);
        const auto before = plot.stripDraws();
        plot.refresh(false);
        strips += plot.stripDraws() > before;
        // The same state replotted whole, in a twin plot fed alike.
        twin.refresh(false);
        twin.replot();
        QCOMPARE(differing(plot.grab().toImage(), twin.grab().toImage()), 0);
        if (frame % 60 == 0) {
            // And in the plot itself: what its strips built against its own replot.
            const QImage drawn = plot.grab().toImage();
            plot.replot();
            QCOMPARE(differing(drawn, plot.grab().toImage()), 0);
            ++compared;
        }
    }
    QCOMPARE(compared, frames / 60);
    QVERIFY2(strips >= minStrips,
             qPrintable(QStringLiteral("%1 of %2 frames drawn as strips").arg(strips).arg(frames)));
}

void TestAppendDrawing::whatAStripCannotShowReplots() {
    PlotRuns runs;
    auto live = std::make_shared<RunHistory>("live");
    runs.live = live;
    std::mt19937_64 rng(5);
    appendRecords(*live, 30, rng);
    PercentilePlot plot;
    QVERIFY(showLive(plot, runs, 60));
    appendRecords(*live, 1, rng);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(1));

    // A live change comes with a marker and its label: replotted, not a strip.
    IntervalRecord r = live->intervals().back();
    r.t_s += 1.0 / 30;
    r.changes = {{r.t_s - 0.01, "rate", "20k"}};
    live->add(r);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(1));

    // Drawn smooth (a stopped run, a screenshot): always replotted.
    plot.setLiveDrawing(false);
    appendRecords(*live, 1, rng);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(1));

    // Live again, after a smooth replot (a screenshot's): the image is smooth, so a replot first.
    plot.setLiveDrawing(true);
    appendRecords(*live, 1, rng);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(1));

    // The user's zoom: a new range, replotted; then strips again on the new range.
    plot.xAxis->setRange(0, 5);
    appendRecords(*live, 1, rng);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(1));
    appendRecords(*live, 1, rng);
    plot.refresh(false);
    QCOMPARE(plot.stripDraws(), std::uint64_t(2));
}

void TestAppendDrawing::timeAxisMovesInSteps() {
    PlotRuns runs;
    auto live = std::make_shared<RunHistory>("live");
    runs.live = live;
    std::mt19937_64 rng(9);
    appendRecords(*live, 60, rng); // 2 s
    PercentilePlot plot;
    plot.setTimeWindow(60);
    plot.setRuns(runs);
    plot.refresh(true);
    // A run younger than the window fills the smallest of its spans halved that holds it: 2 s of
    // 61.2 s halved 4 times (3.825 s); 20 s halved once.
    QCOMPARE(plot.xAxis->range().lower, 0.0);
    QCOMPARE(plot.xAxis->range().upper, 60 * 1.02 / 16);
    appendRecords(*live, 18 * 30, rng);
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range().upper, 60 * 1.02 / 2);
    // Past it, the axis moves in steps of a second (1/60 of the window): across 90 records of 1/30 s,
    // 3 moves, each by a second.
    appendRecords(*live, 41 * 30, rng);
    plot.refresh(true);
    QList<double> uppers{plot.xAxis->range().upper};
    for (int k = 0; k < 90; ++k) {
        appendRecords(*live, 1, rng);
        plot.refresh(true);
        if (plot.xAxis->range().upper != uppers.back())
            uppers << plot.xAxis->range().upper;
    }
    QCOMPARE(uppers.size(), 4);
    for (int i = 1; i < uppers.size(); ++i)
        QCOMPARE(uppers[i] - uppers[i - 1], 1.0);
    QCOMPARE(plot.xAxis->range().size(), 60 * 1.02);

    // Saved runs alone (an opened run, its export) stream nothing: they fit the plot, 6 s and 2 %.
    PercentilePlot saved;
    saved.setTimeWindow(60);
    saved.setRuns(runsWith(1, false));
    saved.refresh(true);
    QCOMPARE(saved.xAxis->range().lower, 0.0);
    QCOMPARE(saved.xAxis->range().upper, 6 * 1.02);
}

void TestAppendDrawing::splitStripsMatchReplots_data() {
    QTest::addColumn<int>("view");
    QTest::newRow("p50 stacked (filled)") << int(SplitPlot::View::P50Stacked);
    QTest::newRow("p99 lines") << int(SplitPlot::View::P99Lines);
}

// The split over time, on the percentiles' time axis as the window keeps them: its strips too are
// what a replot draws, fills between the stacked parts included.
void TestAppendDrawing::splitStripsMatchReplots() {
    QFETCH(int, view);
    PlotRuns runs;
    auto live = std::make_shared<RunHistory>("live");
    runs.live = live;
    std::mt19937_64 rng(11);
    appendSplitRecords(*live, 30, rng);
    SplitPlot plot, twin;
    for (SplitPlot* p : {&plot, &twin}) {
        p->resize(900, 420);
        p->setLiveDrawing(true);
        p->setView(SplitPlot::View(view));
        p->setRuns(runs);
        p->show();
        QVERIFY(QTest::qWaitForWindowExposed(p));
    }
    int strips = 0;
    for (int frame = 1; frame <= 240; ++frame) {
        appendSplitRecords(*live, 1, rng);
        // The window gives both the percentiles' range: 10 s, in steps of 1/6 s.
        const double newest = live->intervals().back().t_s, step = 10.0 / 60;
        const double upper = std::max(10.2, std::ceil((newest + 0.2) / step) * step);
        const auto before = plot.stripDraws();
        for (SplitPlot* p : {&plot, &twin}) {
            p->followTime(upper - 10.2, upper);
            p->refresh(false);
        }
        strips += plot.stripDraws() > before;
        twin.replot();
        QCOMPARE(differing(plot.grab().toImage(), twin.grab().toImage()), 0);
    }
    QVERIFY2(strips >= 150, qPrintable(QStringLiteral("%1 of 240 frames drawn as strips").arg(strips)));
}

QTEST_MAIN(TestAppendDrawing)
#include "tst_append_drawing.moc"
