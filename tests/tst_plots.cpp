// The live plots draw what the runs hold: series and legend, histogram shares, percentile markers,
// change markers and gaps, the distribution's tail, following the newest data, skipping work while
// hidden, legend clicks and the dark palette. Exports are in tst_plot_export.
#include "latency_axis.h"
#include "plot_colours.h"
#include "plot_marker.h"
#include "plot_test_support.h"

#include <QSignalSpy>
#include <QTest>

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
    void changeLabelsStackApart();
    void wideLabelStaysInsidePlot();
    void percentileGaps();
    void percentileMarksSaturation();
    void percentileAppendsOnlyNewIntervals();
    void percentileFollowsNewest();
    void distributionReachesTheTail();
    void hiddenPlotsSkipWork_data();
    void hiddenPlotsSkipWork();
    void legendClickTogglesSeries_data();
    void legendClickTogglesSeries();
    void followsDarkPalette();

private:
    PlotRuns m_runs; // live + one overlay, shared by the tests that only read
};

void TestPlots::initTestCase() {
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
    plot->setRuns(runs);
    refresh(plot.get(), true);

    QCOMPARE(plot->graphCount(), graphs);
    QCOMPARE(legendEntries(*plot), graphs);
    for (int i = 0; i < graphs; ++i) {
        QVERIFY2(plot->graph(i)->dataCount() > 0, qPrintable(plot->graph(i)->name()));
        QVERIFY(!plot->graph(i)->name().isEmpty());
    }

    // Fewer runs afterwards: the graphs and legend entries of the removed ones go.
    plot->setRuns(runsWith(0, live && !liveEmpty));
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
    QCOMPARE(plot.graph(0)->name().contains("last 1 s"), !wholeRun);
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

    // A window of 2,000 samples has 2 above its p99.9: that marker is left out, as on the curves.
    RunSpec small;
    small.samples = 2'000;
    HistogramPlot window;
    window.setRuns({makeRun(small), {}});
    window.refresh(true);
    QCOMPARE(itemsOf<QCPItemText>(window).size(), 2);
    QVERIFY(itemsOf<QCPItemText>(window)[1]->text().startsWith("p99 "));
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

void TestPlots::changeLabelsStackApart() {
    RunSpec spec;
    spec.summary = false;
    auto live = makeRun(spec); // changes at 4.5 s and 7.5 s
    // Six more within a quarter of a second: on a 600-pixel plot of 11 s their labels would overlap.
    std::vector<ParamChange> close;
    for (int i = 0; i < 6; ++i)
        close.push_back({10.2 + i * 0.05, "rate", std::to_string(i + 1) + "k"});
    Histogram h;
    for (int i = 0; i < 2'000; ++i)
        h.record(40'000 + i);
    live->add(recordOf(11.0, h, close));
    PercentilePlot plot;
    plot.setRuns({live, {}});
    plot.refresh(true);
    QCOMPARE(itemsOf<QCPItemText>(plot).size(), 8);
    plot.toPixmap(600, 400); // draws: the labels choose their rows
    const QList<QRectF> rects = markerLabelRects(&plot);
    QCOMPARE(rects.size(), 8);
    int drawn = 0;
    for (int i = 0; i < rects.size(); ++i) {
        if (rects[i].isEmpty())
            continue;
        ++drawn;
        QVERIFY2(rects[i].left() >= 0 && rects[i].right() <= 600,
                 qPrintable(QString::number(rects[i].left())));
        for (int j = 0; j < i; ++j)
            QVERIFY2(!rects[i].intersects(rects[j]),
                     qPrintable(QStringLiteral("labels %1 and %2 overlap").arg(j).arg(i)));
    }
    // The two lone changes and as many of the close ones as the top third of the plot has rows for.
    QVERIFY2(drawn >= 5, qPrintable(QString::number(drawn)));
    QVERIFY(!rects[0].isEmpty() && !rects[1].isEmpty());
}

// A label wider than the room on either side of its line (a narrow plot, a long text in the middle)
// is pushed inside the plot rather than cut at its edge.
void TestPlots::wideLabelStaysInsidePlot() {
    RunSpec spec;
    spec.summary = false;
    auto live = makeRun(spec);
    Histogram h;
    for (int i = 0; i < 2'000; ++i)
        h.record(40'000 + i);
    live->add(recordOf(11.0, h, {{5.6, "engine", "a name wider than half the plot"}}));
    PercentilePlot plot;
    plot.setRuns({live, {}});
    plot.refresh(true);
    plot.toPixmap(480, 300);
    const QRect area = plot.axisRect()->rect();
    const QList<QRectF> rects = markerLabelRects(&plot);
    QVERIFY(!rects.isEmpty() && !rects.back().isEmpty());
    QVERIFY2(rects.back().left() >= area.left() && rects.back().right() <= area.right() + 1,
             qPrintable(QStringLiteral("label %1..%2, plot %3..%4")
                            .arg(rects.back().left())
                            .arg(rects.back().right())
                            .arg(area.left())
                            .arg(area.right())));
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

// Intervals whose records say the instrument was saturated get a red band (one per streak, with one
// label where it starts), so nobody reads the tool's own queue as the network's.
void TestPlots::percentileMarksSaturation() {
    auto live = std::make_shared<RunHistory>("live");
    Histogram h;
    for (int i = 0; i < 100; ++i)
        h.record(20'000 + i);
    for (int k = 1; k <= 6; ++k) {
        IntervalRecord r = recordOf(k, h, {});
        r.saturated = k == 2 || k == 3 || k == 5; // two streaks: 1-3 s and 4-5 s
        live->add(r);
    }
    PercentilePlot plot;
    plot.setRuns({live, {}});
    plot.refresh(true);
    QCOMPARE(itemsOf<QCPItemRect>(plot).size(), 3);
    QStringList texts;
    for (const QCPItemText* label : itemsOf<QCPItemText>(plot))
        texts << label->text();
    QCOMPARE(texts.size(), 2);
    QVERIFY2(texts[0].contains("saturated"), qPrintable(texts[0]));
    const QString data = plot.plotData();
    QVERIFY2(data.contains("# saturated,1.000,3.000\n") && data.contains("# saturated,4.000,5.000\n"),
             qPrintable(data));
    QVERIFY(!data.contains("# saturated,5.000"));
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
    QSignalSpy spy(&plot, &PercentilePlot::autoRangeChanged);
    plot.setRuns({live, {}});
    plot.setTimeWindow(5);
    plot.refresh(true);
    QVERIFY(plot.autoRange());
    QCOMPARE(spy.count(), 0);
    // The window and 2 %, the newest point 2 % of the window to a step (1/60 of it) more from the right.
    const auto followsAt = [&plot](double newest) {
        const QCPRange x = plot.xAxis->range();
        QCOMPARE(x.size(), 5.0 * 1.02);
        QVERIFY(x.upper >= newest + 0.1 - 1e-9 && x.upper < newest + 0.1 + 5.0 / 60);
    };
    followsAt(10.0);
    QVERIFY(plot.yAxis->range().lower > 0);

    appendIntervals(*live, 5, 20, 3);
    plot.refresh(true);
    followsAt(15.0);

    // The user's zoom (here the call a wheel event makes) ends following.
    plot.xAxis->scaleRange(0.5);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    QVERIFY(!plot.autoRange());
    const QCPRange zoomed = plot.xAxis->range();
    appendIntervals(*live, 5, 20, 4);
    plot.refresh(true);
    QCOMPARE(plot.xAxis->range(), zoomed);
    plot.resetAxes();
    QVERIFY(plot.autoRange());
    QCOMPARE(spy.count(), 2);
    plot.refresh(true);
    followsAt(20.0);
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
    plot->setRuns({live, {}});
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
    plot->setRuns(m_runs);
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
    plot->setRuns(same);
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

QTEST_MAIN(TestPlots)
#include "tst_plots.moc"
