// The round-trip split plot on synthetic records: what it stacks, where the samples rule leaves gaps,
// its p99 lines, and what it says when a record has no split; the RTT histogram's per-part series.
// And the window's pong child reporting its residence (the peer's side the plot draws).
#include "histogram_plot.h"
#include "plot_runs.h"
#include "plot_test_support.h"
#include "pong_process.h"
#include "socket.h"
#include "split_parts.h"
#include "split_plot.h"

#include <QtTest>

#include <QApplication>
#include <QSignalSpy>

#include <poll.h>
#include <sys/socket.h>

namespace {

le::PartStats part(std::uint64_t count, double p50, double p99) {
    le::PartStats s;
    s.count = count;
    s.mean_us = s.p50_us = p50;
    s.p90_us = (p50 + p99) / 2;
    s.p99_us = s.max_us = p99;
    return s;
}

// A record at `t` whose three parts each hold `count` samples (send 2 µs, wire 10 µs, wake 5 µs at
// p50; 4, 30, 20 µs at p99).
IntervalRecord splitRecord(double t, std::uint64_t count) {
    Histogram h;
    for (int i = 0; i < 100; ++i)
        h.record(20'000 + i);
    IntervalRecord r = recordOf(t, h, {});
    r.split_available = "yes";
    r.split.send = part(count, 2, 4);
    r.split.wire = part(count, 10, 30);
    r.split.wake = part(count, 5, 20);
    return r;
}

// The value graph `g` holds at `t`; -1 when it has no point there.
double at(const SplitPlot& plot, int g, double t) {
    for (const QPointF& p : points(plot.graph(g)))
        if (p.x() == t)
            return p.y();
    return -1;
}

} // namespace

class TestSplitPlot : public QObject {
    Q_OBJECT
private slots:
    void partsInStackingOrder() {
        // The one list of parts: the plot draws exactly these, bottom to top.
        le::SplitStats s;
        s.send.count = 1;
        s.wire.count = 2;
        s.wake.count = 3;
        const QList<SplitPart> parts = splitParts(s);
        QCOMPARE(parts.size(), 3);
        QCOMPARE(parts[0].name, QStringLiteral("send"));
        QCOMPARE(parts[1].name, QStringLiteral("wire"));
        QCOMPARE(parts[2].name, QStringLiteral("wake"));
        QCOMPARE(parts[2].stats.count, 3u);
        QVERIFY(parts[0].colour != parts[1].colour && parts[1].colour != parts[2].colour);
    }

    // The value axis names the records' interval; it follows a change of more than 5 %, not the
    // tenths of a millisecond the interval moves by from record to record.
    void intervalLabelFollowsRealChanges() {
        auto live = std::make_shared<RunHistory>("live");
        SplitPlot plot;
        plot.setRuns({live, {}});
        const auto labelAfter = [&](double t, double seconds) {
            IntervalRecord r = splitRecord(t, 1000);
            r.duration_s = seconds;
            live->add(r);
            plot.refresh(true);
            return plot.yAxis->label();
        };
        QVERIFY(labelAfter(1, 0.0333).contains(QLatin1String("33.3 ms")));
        QVERIFY(labelAfter(2, 0.0336).contains(QLatin1String("33.3 ms")));
        QVERIFY(labelAfter(3, 0.1).contains(QLatin1String("100 ms")));
    }

    void stacksAndGaps() {
        auto live = std::make_shared<RunHistory>("live");
        live->add(splitRecord(1, 19));   // p50 needs 20 samples: a gap
        live->add(splitRecord(2, 20));   // p50 drawn, p99 not
        live->add(splitRecord(3, 1000)); // both drawn
        IntervalRecord none = splitRecord(4, 1000);
        none.split_available = "no: unix stream sockets get no kernel timestamps (neither TX nor RX): no "
                               "split (blocking engine, unix)";
        live->add(none);
        live->add(splitRecord(7, 1000)); // after a stop: the lines break before it
        SplitPlot plot;
        plot.setRuns({live, {}});
        plot.refresh(true);
        QCOMPARE(plot.graphCount(), 3);
        const double tops[] = {2, 12, 17};
        for (int g = 0; g < 3; ++g) {
            QVERIFY(std::isnan(at(plot, g, 1)));
            QCOMPARE(at(plot, g, 2), tops[g]);
            QCOMPARE(at(plot, g, 3), tops[g]);
            QVERIFY2(std::isnan(at(plot, g, 4)), "a record without a split is a gap");
            QCOMPARE(at(plot, g, 7), tops[g]);
            const QList<QPointF> p = points(plot.graph(g));
            QVERIFY2(
                std::any_of(p.begin(), p.end(),
                            [](const QPointF& q) { return q.x() > 4 && q.x() < 6 && std::isnan(q.y()); }),
                "no gap point across the stop");
        }
        QCOMPARE(plot.graph(1)->channelFillGraph(), plot.graph(0));
        QCOMPARE(plot.graph(2)->channelFillGraph(), plot.graph(1));
        QVERIFY(plot.title().contains(QLatin1String("p50")));

        plot.setView(SplitPlot::View::P99Lines);
        plot.refresh(true);
        const double p99[] = {4, 30, 20};
        for (int g = 0; g < 3; ++g) {
            QVERIFY(std::isnan(at(plot, g, 2)));
            QCOMPARE(at(plot, g, 3), p99[g]); // each part's own p99: not stacked
            QCOMPARE(plot.graph(g)->brush().style(), Qt::NoBrush);
            QVERIFY(!plot.graph(g)->channelFillGraph());
        }

        // The newest record has no split: the title says why, in its words.
        live->add(none);
        plot.refresh(true);
        QVERIFY2(plot.title().contains(QString::fromStdString(none.split_available)),
                 qPrintable(plot.title()));
    }

    void histogramsShowEachPart() {
        // Records with the parts' histograms (1 s each, a 2 s window): the window and the whole run
        // hold each part's samples exactly, and the RTT histogram draws each part beside the RTT.
        auto live = std::make_shared<RunHistory>("live", 2.0);
        QCOMPARE(live->window_split(0), nullptr); // no split yet: no part windows at all
        for (int k = 1; k <= 3; ++k) {
            IntervalRecord r = splitRecord(k, 100);
            auto parts = std::make_shared<le::SplitData>();
            for (int i = 0; i < 10 * k; ++i) {
                parts->send.record(2'000);
                parts->wire.record(10'000);
                parts->wake.record(5'000);
            }
            parts->pong.record(3'000);
            r.split_ns = parts;
            live->add(r);
        }
        QCOMPARE(live->window_split(0)->count(), 20u + 30u); // the last two records
        QCOMPARE(live->whole_split(1)->count(), 60u);
        QCOMPARE(live->window_split(3)->count(), 2u);
        QCOMPARE(live->window_split(RunHistory::kSplitParts), nullptr);
        QCOMPARE(live->intervals().back().split_ns, nullptr); // kept in the windows, not the records

        const QList<HistogramSeries> series = histogramSeries({live, {}}, false);
        QStringList names;
        for (const HistogramSeries& s : series)
            names << s.name;
        QCOMPARE(names.size(), 5);
        QCOMPARE(names.mid(1), QStringList({"split: send", "split: wire", "split: wake", "split: pong"}));
        QCOMPARE(series[1].colour, QColor(splitParts({})[0].colour));
        QCOMPARE(series[2].histogram->count(), 50u);
        QCOMPARE(histogramSeries({live, {}}, true)[2].histogram->count(), 60u);
        HistogramPlot plot;
        plot.setRuns({live, {}});
        plot.refresh(true);
        QCOMPARE(plot.graphCount(), 5);

        // A break starts fresh windows; the whole run keeps every sample.
        live->break_at(3.5);
        IntervalRecord r = splitRecord(5, 100);
        auto parts = std::make_shared<le::SplitData>();
        parts->wake.record(7'000);
        r.split_ns = parts;
        live->add(r);
        QCOMPARE(live->window_split(2)->count(), 1u);
        QCOMPARE(live->whole_split(2)->count(), 61u);
        QCOMPARE(histogramSeries({live, {}}, false).size(), 2); // empty parts are left out
    }

    // A record with the peer's side: wire is drawn as network and pong (four layers); a record of the
    // same run without it (its residence came late) is a gap, not three layers.
    void peerSideDividesWire() {
        auto live = std::make_shared<RunHistory>("live");
        live->add(splitRecord(1, 1000)); // before any residence arrived: three parts
        IntervalRecord peer = splitRecord(2, 1000);
        peer.peer_split_available = "yes";
        peer.split.pong = part(1000, 6, 25);
        peer.split.network = part(1000, 4, 5);
        live->add(peer);
        IntervalRecord late = splitRecord(3, 1000);
        late.peer_split_available = "no: no residence report ended within this interval";
        live->add(late);
        SplitPlot plot;
        plot.setRuns({live, {}});
        plot.refresh(true);
        QCOMPARE(plot.graphCount(), 4);
        const double tops[] = {2, 6, 12, 17}; // send, + network, + pong, + wake
        for (int g = 0; g < 4; ++g) {
            QCOMPARE(at(plot, g, 2), tops[g]);
            QVERIFY(std::isnan(at(plot, g, 1)));
            QVERIFY(std::isnan(at(plot, g, 3)));
        }
        QVERIFY(plot.graph(1)->name().startsWith(QLatin1String("network")));
        QVERIFY(plot.graph(2)->name().startsWith(QLatin1String("pong")));
        const QList<SplitPart> parts = splitParts(peer.split, true);
        QCOMPARE(parts.size(), 4);
        QCOMPARE(parts[2].stats.p50_us, 6.0);
        QVERIFY(parts[2].colour != parts[1].colour && parts[2].colour != parts[3].colour);
    }

    // The window's pong child, started as the window does with the split on: its residence lines
    // reach the source the session reads, every request counted once (engine blocking, UDP).
    void pongChildReportsResidence() {
        qputenv("LATENCY_PONG", LE_PONG_PATH);
        PongProcess pong;
        QSignalSpy ready(&pong, &PongProcess::ready);
        pong.start(le::Transport::Udp, le::EngineKind::Blocking, {}, 0, 20 * le::kNanosPerMilli);
        QVERIFY(pong.residence());
        QVERIFY(ready.wait(10'000));
        const le::Endpoint ep = le::parse_endpoint(ready.first().first().toString().toStdString());
        const le::Fd fd = le::connect_to(ep, le::kNanosPerSecond);
        char buffer[32] = {};
        for (int i = 0; i < 20; ++i) {
            QCOMPARE(::send(fd.get(), buffer, sizeof buffer, 0), ssize_t(sizeof buffer));
            pollfd p{fd.get(), POLLIN, 0};
            QCOMPARE(::poll(&p, 1, 5000), 1);
            QCOMPARE(::recv(fd.get(), buffer, sizeof buffer, 0), ssize_t(sizeof buffer));
        }
        std::uint64_t total = 0;
        le::ResidenceData out;
        QElapsedTimer t;
        t.start();
        while (total < 20 && t.elapsed() < 5000) {
            QTest::qWait(20); // the lines are read on this (the GUI) thread
            if (pong.residence()->take(le::now_ns(), out).empty()) {
                total += out.residence.count() + out.unstamped + out.discarded;
            }
        }
        // Exactly once each; stamped or not is the kernel's (it switches stamping on a moment after the
        // first socket asks), tst_window_engines sees the stamped residence in the records.
        QCOMPARE(total, std::uint64_t(20));
        // A transport the kernel does not stamp (unix streams): the child says so once, and so does
        // the source.
        pong.start(le::Transport::Unix, le::EngineKind::Asio, {}, 0, 20 * le::kNanosPerMilli);
        QVERIFY(ready.wait(10'000));
        const QString why = QString::fromStdString(pong.residence()->take(le::now_ns(), out));
        QVERIFY2(why.startsWith(QLatin1String("the pong child does not measure its residence (")) &&
                     why.contains(QLatin1String("unix")),
                 qPrintable(why));
        pong.stop();
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    TestSplitPlot t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_split_plot.moc"
