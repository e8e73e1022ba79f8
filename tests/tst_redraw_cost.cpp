// What keeps a redraw of the live plots cheap without changing what they show (issue 14): legend
// entries measured once, percentile curves held to a point budget of the pixels they cover (and
// rebuilt with detail when zoomed in), histogram markers moved instead of made anew.
#include "latency_axis.h"
#include "legend_entry.h"
#include "plot_test_support.h"
#include "redraw_cadence.h"

#include <QtTest>

#include <algorithm>

namespace {

// 100 s of 30 records a second (300 samples each): the last minute at full detail, ~1,850 points.
std::shared_ptr<RunHistory> longRun(std::uint64_t seed) {
    auto run = std::make_shared<RunHistory>("live");
    std::mt19937_64 rng(seed);
    appendRecords(*run, 3000, rng, 1.0 / 30, 300);
    return run;
}

// `plot` showing `run`, laid out and redrawn at its real width (the budget goes by it).
bool showLaidOut(PercentilePlot& plot, const std::shared_ptr<RunHistory>& run) {
    plot.resize(900, 400);
    plot.setRuns(PlotRuns{run, {}, {}});
    plot.show();
    if (!QTest::qWaitForWindowExposed(&plot))
        return false;
    plot.refresh(true);
    plot.refresh(true);
    return true;
}

// Points of `graph` and of `run`'s curve with from <= t <= to.
int graphPointsIn(const QCPGraph& graph, double from, double to) {
    return int(std::count_if(graph.data()->constBegin(), graph.data()->constEnd(),
                             [&](const QCPGraphData& d) { return d.key >= from && d.key <= to; }));
}
int curvePointsIn(const RunHistory& run, double from, double to) {
    return int(std::count_if(run.curve().begin(), run.curve().end(),
                             [&](const le::CurvePoint& p) { return p.t_s >= from && p.t_s <= to; }));
}

} // namespace

class TestRedrawCost : public QObject {
    Q_OBJECT

private slots:
    // Our legend entry asks for exactly the size QCustomPlot's own would, for the name of the
    // moment: a renamed series (a percentile's "(needs …)" note) gets its new size.
    void legendEntryMeasuresAsQCustomPlot_data() {
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::newRow("renamed longer") << "live p50"
                                        << "live p99.9 (needs a 10 s window at this rate)";
        QTest::newRow("renamed shorter") << "saved 1 (+12.0 s) p99"
                                         << "p50";
        QTest::newRow("arrow") << "rate → 10k"
                               << "tasks → 100";
    }
    void legendEntryMeasuresAsQCustomPlot() {
        QFETCH(QString, first);
        QFETCH(QString, second);
        QCustomPlot plot;
        QCPGraph* graph = plot.addGraph();
        // Through the base class, where the size hint is public.
        const QCPLayoutElement* own = plot.legend->itemWithPlottable(graph);
        QVERIFY(own);
        LegendEntry entry(plot.legend, graph);
        for (const QString& name : {first, second, first}) {
            graph->setName(name);
            QCOMPARE(entry.minimumOuterSizeHint(), own->minimumOuterSizeHint());
        }
        QVERIFY(entry.minimumOuterSizeHint().width() > 30);
    }

    // The live plots' series use it (so the saving is real), one entry per series.
    void plotsUseTheMeasuredOnceEntries() {
        const std::unique_ptr<RunsPlot> plot = makePlot("percentile");
        plot->setRuns(runsWith(1));
        refresh(plot.get(), true);
        int entries = 0; // the legend's grid wraps: some of its cells are empty
        for (int i = 0; i < plot->legend->itemCount(); ++i) {
            if (QCPAbstractLegendItem* item = plot->legend->item(i)) {
                QVERIFY2(qobject_cast<LegendEntry*>(item), item->metaObject()->className());
                ++entries;
            }
        }
        QVERIFY(entries >= 7); // 5 live curves, an overlay's p50 and p99
        QCOMPARE(entries, plot->graphCount());
    }

    // 100 s of 30 records a second: the whole-run view holds about one point per 2 pixels, not all
    // 2,000 of the last minute's. Peaks survive the merge: the max curve's highest point is the run's.
    // Zoomed in on 5 s, every point there is back.
    void percentileCurvesKeepToTheirPointBudget() {
        const auto run = longRun(3);
        PercentilePlot plot;
        QVERIFY(showLaidOut(plot, run));
        const int width = plot.axisRect()->width();
        const std::size_t points = run->curve().size();
        QVERIFY2(points > 1500, qPrintable(QString::number(points)));
        for (int c = 0; c < 5; ++c) {
            const int drawn = plot.graph(c)->dataCount();
            QVERIFY2(
                drawn <= width / 2 + 64 + 8 && drawn >= width / 4,
                qPrintable(QStringLiteral("curve %1: %2 points for %3 px").arg(c).arg(drawn).arg(width)));
        }
        double runMax = 0, drawnMax = 0;
        for (const le::CurvePoint& p : run->curve())
            runMax = std::max(runMax, std::isnan(p.max_us) ? 0.0 : p.max_us);
        for (auto it = plot.graph(4)->data()->constBegin(); it != plot.graph(4)->data()->constEnd(); ++it)
            drawnMax = std::max(drawnMax, std::isnan(it->value) ? 0.0 : it->value);
        QCOMPARE(drawnMax, runMax);

        const double from = run->curve().back().t_s - 20, to = from + 5;
        plot.xAxis->setRange(from, to); // as a drag or wheel zoom does
        QTRY_VERIFY(plot.graph(0)->dataCount() > width / 2 + 64 + 8);
        const int raw = curvePointsIn(*run, from, to);
        QVERIFY(raw >= 140);
        QCOMPARE(graphPointsIn(*plot.graph(0), from, to), raw);
    }

    // Following the last 10 s of a long run shows every point of them, not the whole run's merges.
    void percentileTimeWindowShowsFullDetail() {
        const auto run = longRun(4);
        PercentilePlot plot;
        QVERIFY(showLaidOut(plot, run));
        QVERIFY(plot.graph(0)->dataCount() < 600); // merged for the whole run
        plot.setTimeWindow(10);
        const double from = run->curve().back().t_s - 9, to = run->curve().back().t_s; // clear of the edge
        const int raw = curvePointsIn(*run, from, to);
        QVERIFY(raw >= 260);
        QTRY_COMPARE(graphPointsIn(*plot.graph(0), from, to), raw);
    }

    // The histogram's markers follow the live window from redraw to redraw, as the same items: p50,
    // p99 and p99.9 with enough samples, only p50 when the window holds too few for the others.
    void histogramMarkersFollowTheirPercentiles() {
        auto run = std::make_shared<RunHistory>("live");
        std::mt19937_64 rng(5);
        appendRecords(*run, 30, rng, 1.0 / 30, 1000);
        HistogramPlot plot;
        plot.resize(700, 400);
        plot.setRuns(PlotRuns{run, {}, {}});
        refresh(&plot, true);
        const QList<QCPItemText*> before = itemsOf<QCPItemText>(plot);
        QCOMPARE(before.size(), 3);
        QCOMPARE(plot.itemCount(), 6);

        appendRecords(*run, 30, rng, 1.0 / 30, 1000); // a new second: the window moved on
        refresh(&plot, true);
        const QList<QCPItemText*> after = itemsOf<QCPItemText>(plot);
        QCOMPARE(after, before); // moved, not made anew
        const le::Histogram& window = run->window();
        const double p50 = double(window.value_at_percentile(50)) / 1e3;
        QCOMPARE(after.front()->text(), QStringLiteral("p50 %1").arg(formatMicros(p50)));

        auto sparse = std::make_shared<RunHistory>("live");
        appendRecords(*sparse, 1, rng, 1.0 / 30, 50); // 50 samples: p99 and p99.9 not drawn
        plot.setRuns(PlotRuns{sparse, {}, {}});
        refresh(&plot, true);
        QCOMPARE(itemsOf<QCPItemText>(plot).size(), 1);
        QCOMPARE(plot.itemCount(), 2); // the others' lines went with their labels
    }

    // The window's cadence: the curves on every tick that brought data, each shape on one tick in
    // three of its own (never both on one tick), once per arrival of data, and not again after a
    // forced redraw caught everything up. `fresh` has a character per tick ('1': data arrived);
    // `due` the plots that tick redraws ('c' curves, 'h' histogram, 'd' distribution, '-' none).
    void redrawCadenceSpreadsTheShapes_data() {
        QTest::addColumn<QString>("fresh");
        QTest::addColumn<int>("caughtUpAfter"); // the tick after which every plot was redrawn; -1 never
        QTest::addColumn<QString>("due");
        QTest::newRow("streaming") << "1111111" << -1 << "c ch cd c ch cd c";
        QTest::newRow("one record, then quiet") << "1000000" << -1 << "c h d - - - -";
        QTest::newRow("a record just after a shape's tick") << "0010000" << -1 << "- - cd - h - -";
        QTest::newRow("forced redraw catches up") << "1000100" << 0 << "c - - - ch d -";
        QTest::newRow("nothing arrives") << "000000" << -1 << "- - - - - -";
    }
    void redrawCadenceSpreadsTheShapes() {
        QFETCH(QString, fresh);
        QFETCH(int, caughtUpAfter);
        QFETCH(QString, due);
        RedrawCadence cadence;
        QStringList got;
        for (int t = 0; t < fresh.size(); ++t) {
            const RedrawCadence::Due d = cadence.tick(fresh[t] == QLatin1Char('1'));
            QVERIFY(!(d.histogram && d.distribution));
            QString s = QString(d.curves ? "c" : "") + (d.histogram ? "h" : "") + (d.distribution ? "d" : "");
            got << (s.isEmpty() ? QStringLiteral("-") : s);
            if (t == caughtUpAfter)
                cadence.caughtUp();
        }
        QCOMPARE(got.join(' '), due);
        QCOMPARE(cadence.ticks(), std::uint64_t(fresh.size()));
    }
};

QTEST_MAIN(TestRedrawCost)
#include "tst_redraw_cost.moc"
