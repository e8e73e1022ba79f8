// The kernel-timestamp split (--kernel-timestamps): per message, send + wire + wake is the round
// trip measured from the send call, on every transport that has timestamps; the others, and the
// engines and modes without a split, say why in the records instead of reporting zeros.
#include "clock_offset.h"
#include "kernel_split.h"
#include "ping_session.h"
#include "record_format.h"
#include "run_history.h"
#include "sanitizer_build.h"
#include "session_file.h"
#include "socket.h"

#include <QProcess>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <vector>

using namespace le;

Q_DECLARE_METATYPE(le::Transport)
Q_DECLARE_METATYPE(le::EngineKind)

namespace {

// A ping socket and its peer on loopback, the peer echoing by hand on this same thread.
struct Pair {
    Fd listener, ping, peer;
    Transport transport;

    explicit Pair(Transport t)
        : transport(t) {
        listener = listen_on(parse_endpoint(t == Transport::Udp ? "udp://127.0.0.1:0" : "tcp://127.0.0.1:0"));
        ping = connect_to(local_endpoint(listener.get(), t), kNanosPerSecond);
        if (is_stream(t))
            peer = Fd(::accept(listener.get(), nullptr, nullptr));
    }

    // The peer reads `n` bytes and sends them back.
    void echo(std::size_t n) {
        std::vector<char> buf(n + 1);
        if (!is_stream(transport)) {
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            const ssize_t r = ::recvfrom(listener.get(), buf.data(), buf.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &len);
            QCOMPARE(r, static_cast<ssize_t>(n));
            QCOMPARE(::sendto(listener.get(), buf.data(), n, 0, reinterpret_cast<sockaddr*>(&from), len),
                     static_cast<ssize_t>(n));
            return;
        }
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::recv(peer.get(), buf.data() + got, n - got, 0);
            QVERIFY(r > 0);
            got += static_cast<std::size_t>(r);
        }
        // Echoed in 4 KiB pieces: a message whose echo spans several segments.
        for (std::size_t done = 0; done < n;) {
            const ssize_t r = ::send(peer.get(), buf.data() + done, std::min<std::size_t>(4096, n - done), 0);
            QVERIFY(r > 0);
            done += static_cast<std::size_t>(r);
        }
    }
};

// One round trip through `split`: the ping sends `size` bytes, the peer echoes, the ping reads them.
struct Exchange {
    bool complete = false;
    Nanos t_send = 0, t_recv = 0;
    SplitSample split;
};
Exchange exchange(Pair& pair, KernelSplit& split, std::size_t size) {
    Exchange x;
    std::vector<char> tx(size, 'x'), rx(size + 1);
    x.t_send = now_ns();
    for (std::size_t sent = 0; sent < size;) {
        const ssize_t r = ::send(pair.ping.get(), tx.data() + sent, size - sent, 0);
        if (r <= 0)
            return x;
        split.sent(static_cast<std::size_t>(r));
        sent += static_cast<std::size_t>(r);
    }
    pair.echo(size);
    std::size_t got = 0;
    while (got < size) {
        const ssize_t r = split.recv(pair.ping.get(), rx.data() + got, rx.size() - got, 0);
        if (r <= 0)
            return x;
        got += static_cast<std::size_t>(r);
    }
    x.t_recv = now_ns();
    x.split = split.finish(x.t_send, x.t_recv);
    x.complete = got == size;
    return x;
}

// The kernel switches RX stamping on system-wide lazily (a deferred work item) when the first
// socket asks for it, so the first echoes may come unstamped: exchange until one is stamped.
bool awaitStamps(Pair& pair, KernelSplit& split) {
    for (const Nanos give_up = now_ns() + 10 * kNanosPerSecond; now_ns() < give_up;) {
        const Exchange x = exchange(pair, split, 64);
        if (!x.complete)
            return false;
        if (x.split.state != SplitSample::State::Unstamped)
            return true;
        QTest::qWait(1);
    }
    return false;
}

// Short closed-loop runs with the split asked for (the in-process pong on loopback).
PingConfig session_config(Transport t, EngineKind e) {
    return PingConfig{.peer = std::nullopt,
                      .transport = t,
                      .engine = e,
                      .rate = 1000,
                      .duration = 500 * kNanosPerMilli,
                      .warmup = 100 * kNanosPerMilli,
                      .interval = 250 * kNanosPerMilli,
                      .timeout = 500 * kNanosPerMilli * kSanitizerSlowdown,
                      .cpu = {},
                      .pong_cpu = {},
                      .pong_placement = {},
                      .kernel_timestamps = true};
}

// Every record of a run to its end (the summary last), or as far as it got within a minute.
std::vector<IntervalRecord> run(const PingConfig& config, std::string& error) {
    PingSession session(config);
    session.start();
    std::vector<IntervalRecord> records;
    for (const Nanos give_up = now_ns() + 60 * kNanosPerSecond; now_ns() < give_up;) {
        IntervalRecord r;
        if (session.next_record(r, 100 * kNanosPerMilli))
            records.push_back(std::move(r));
        else if (session.finished()) // and every record queued was read
            break;
        if (!records.empty() && records.back().kind == IntervalRecord::Kind::Summary)
            break;
    }
    error = session.error();
    return records;
}

std::size_t csv_columns(const std::string& line) {
    std::size_t n = 1;
    bool quoted = false;
    for (char c : line) {
        if (c == '"')
            quoted = !quoted;
        else if (c == ',' && !quoted)
            ++n;
    }
    return n;
}

} // namespace

class TestKernelSplit : public QObject {
    Q_OBJECT

private slots:
    void bridgeConvertsRealtimeToMonotonic() {
        RealtimeBridge bridge;
        QVERIFY(bridge.resample()); // the first sample has nothing to disagree with
        QVERIFY(bridge.current().bracket >= 0);
        timespec real{};
        const Nanos before = now_ns();
        ::clock_gettime(CLOCK_REALTIME, &real);
        const Nanos after = now_ns();
        const Nanos mono =
            bridge.to_monotonic(static_cast<Nanos>(real.tv_sec) * kNanosPerSecond + real.tv_nsec);
        // Good to the brackets (and whatever a clock slew did meanwhile): far below a millisecond.
        QVERIFY2(
            mono >= before - kNanosPerMilli && mono <= after + kNanosPerMilli,
            qPrintable(QString("converted %1, read between %2 and %3").arg(mono).arg(before).arg(after)));
        // Samples a second apart may differ by a slew's 1000 ppm, not more, before it is called a step.
        const RealtimeBridge::Sample a{0, 100, 0}, b{0, 100, kNanosPerSecond};
        QCOMPARE(RealtimeBridge::tolerance(a, b), 200 + 5 * kNanosPerMicro + kNanosPerMilli);
    }

    void partsAddUpToTheRoundTrip_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<int>("size");
        QTest::newRow("udp 64 B") << Transport::Udp << 64;
        QTest::newRow("udp 8 KiB") << Transport::Udp << 8192;
        QTest::newRow("tcp 64 B") << Transport::Tcp << 64;
        QTest::newRow("tcp 32 KiB, echo in 4 KiB segments") << Transport::Tcp << 32768;
    }
    // Per message: the parts are non-negative and add up to t_recv - t_send to the nanosecond (the
    // realtime-to-monotonic offset cancels out). For a stream the RX stamp is the one of the segment
    // that completed the echo.
    void partsAddUpToTheRoundTrip() {
        QFETCH(Transport, transport);
        QFETCH(int, size);
        Pair pair(transport);
        KernelSplit split(pair.ping.get(), transport, true);
        QVERIFY2(split.on(), split.unavailable().c_str());
        QVERIFY(split.unavailable().empty());
        QVERIFY(awaitStamps(pair, split));
        int ok = 0;
        constexpr int kMessages = 50;
        for (int i = 0; i < kMessages; ++i) {
            const Exchange x = exchange(pair, split, static_cast<std::size_t>(size));
            QVERIFY(x.complete);
            const SplitSample& s = x.split;
            // A sample whose conversion the guard could not vouch for (a thread preempted through
            // every try of a clock read) is discarded, never stamped wrong.
            QVERIFY2(s.state == SplitSample::State::Ok || s.state == SplitSample::State::Discarded,
                     qPrintable(QString("message %1: state %2").arg(i).arg(static_cast<int>(s.state))));
            if (s.state != SplitSample::State::Ok)
                continue;
            ++ok;
            QVERIFY(s.send >= 0 && s.wire >= 0 && s.wake >= 0);
            QCOMPARE(s.send + s.wire + s.wake, x.t_recv - x.t_send);
        }
        QVERIFY2(ok >= kMessages * 8 / 10, qPrintable(QString("%1 of %2 split").arg(ok).arg(kMessages)));
    }

    // A part that would be negative (a send time after the kernel's stamp: a clock that jumped) is
    // discarded, and an echo without stamps is counted apart.
    void impossiblePartsAreDiscarded() {
        Pair pair(Transport::Udp);
        KernelSplit split(pair.ping.get(), Transport::Udp, true);
        QVERIFY(split.on());
        QVERIFY(awaitStamps(pair, split));
        const char m[16] = {};
        char rx[32];
        QCOMPARE(::send(pair.ping.get(), m, sizeof m, 0), static_cast<ssize_t>(sizeof m));
        split.sent(sizeof m);
        pair.echo(sizeof m);
        QCOMPARE(split.recv(pair.ping.get(), rx, sizeof rx, 0), static_cast<ssize_t>(sizeof m));
        const Nanos t_recv = now_ns();
        QCOMPARE(split.finish(t_recv, t_recv).state, SplitSample::State::Discarded);
        // The RX stamp was used up: finishing again has none.
        QCOMPARE(split.finish(t_recv - kNanosPerMilli, t_recv).state, SplitSample::State::Unstamped);
    }

    void offOrUnixGivesNoParts() {
        Pair pair(Transport::Udp);
        KernelSplit off(pair.ping.get(), Transport::Udp, false);
        QVERIFY(!off.on());
        QCOMPARE(off.rx_stamp(), nullptr);
        QCOMPARE(off.finish(0, 1).state, SplitSample::State::None);

        const Endpoint where = parse_endpoint(
            QString("unix://%1/le-split-%2.sock").arg(QDir::tempPath()).arg(getpid()).toStdString());
        Fd listener = listen_on(where);
        Fd ping = connect_to(where, kNanosPerSecond);
        KernelSplit unix_split(ping.get(), Transport::Unix, true);
        QVERIFY(!unix_split.on());
        QVERIFY2(unix_split.unavailable().find("unix") != std::string::npos,
                 unix_split.unavailable().c_str());
        remove_socket_file(where);
    }

    void sessionsRecordTheSplit_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<bool>("open_loop");
        for (Transport t : {Transport::Udp, Transport::Tcp})
            for (EngineKind e : {EngineKind::Blocking, EngineKind::Spin, EngineKind::Asio,
                                 EngineKind::AsioPool, EngineKind::Uring, EngineKind::Libuv})
                QTest::newRow(qPrintable(QString("%1 %2").arg(to_string(t).data()).arg(to_string(e).data())))
                    << t << e << false;
        // Open loop over datagrams: many messages in flight, stamps matched by message.
        for (EngineKind e : {EngineKind::Blocking, EngineKind::Spin, EngineKind::Asio, EngineKind::AsioPool,
                             EngineKind::Uring, EngineKind::Libuv})
            QTest::newRow(qPrintable(QString("udp %1 open loop").arg(to_string(e).data())))
                << Transport::Udp << e << true;
    }
    // Every record says "yes" and carries the parts; each echo received has a split or is counted as
    // unstamped or discarded; with none of those the parts' means add up to the RTT's mean (the sums
    // are exact nanoseconds; open loop: from the intended send time, as its RTT). Counts and
    // identities only: nothing here depends on speed.
    void sessionsRecordTheSplit() {
        QFETCH(Transport, transport);
        QFETCH(EngineKind, engine);
        QFETCH(bool, open_loop);
        PingConfig c = session_config(transport, engine);
        c.open_loop = open_loop;
        std::string error;
        const std::vector<IntervalRecord> records = run(c, error);
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(records.size() >= 2);
        QCOMPARE(records.back().kind, IntervalRecord::Kind::Summary);
        for (const IntervalRecord& r : records) {
            QCOMPARE(r.split_available, std::string("yes"));
            const SplitStats& s = r.split;
            QCOMPARE(s.send.count, s.wire.count);
            QCOMPARE(s.wake.count, s.wire.count);
            QCOMPARE(s.send.count + s.unstamped + s.discarded, r.received);
            if (s.send.count > 0 && s.discarded == 0 && s.unstamped == 0) {
                const double parts = s.send.mean_us + s.wire.mean_us + s.wake.mean_us;
                QVERIFY2(std::abs(parts - r.mean_us) <= 1e-9 * r.mean_us + 1e-9,
                         qPrintable(QString("parts %1 us, RTT %2 us").arg(parts).arg(r.mean_us)));
            }
            for (const PartStats* p : {&s.send, &s.wire, &s.wake})
                QVERIFY(p->p50_us <= p->p99_us && p->p99_us <= p->max_us);
            const nlohmann::json j = to_json(r);
            QCOMPARE(j["split_available"].get<std::string>(), std::string("yes"));
            QCOMPARE(j["split"]["wake"]["count"].get<std::uint64_t>(), s.wake.count);
            for (const char* part : {"send", "wire", "wake"})
                for (const char* field : {"p50_us", "p90_us", "p99_us", "max_us"})
                    QVERIFY2(j["split"][part].contains(field), field);
            QCOMPARE(csv_columns(format_csv_row(r)), csv_columns(csv_header()));
        }
        const IntervalRecord& summary = records.back();
        QVERIFY(summary.received > 0);
        // The peer's side: the in-process pong of every engine measures its residence on UDP and TCP
        // (exact counts per engine, and Unix saying why not: tst_pong_residence). The residence lies inside
        // wire, message by message, so its median does too.
        QVERIFY2(summary.has_peer_split(), summary.peer_split_available.c_str());
        QCOMPARE(to_json(summary)["split"].contains("pong"), true);
        QCOMPARE(to_json(summary)["split"].contains("network"), true);
        QVERIFY(summary.split.pong.count > 0 && summary.split.pong.p50_us > 0);
        QVERIFY(summary.split.pong.p50_us <= summary.split.wire.p50_us);
        // Unstamped only while the kernel switches RX stamping on (see awaitStamps()).
        QVERIFY(summary.split.send.count > 0);

        // A saved session keeps the split.
        RunHistory history;
        for (const IntervalRecord& r : records)
            if (r.kind == IntervalRecord::Kind::Interval)
                history.add(r);
        history.set_summary(summary);
        const RunHistory loaded = session_from_json(session_to_json(history), "loaded");
        QVERIFY(loaded.summary());
        QCOMPARE(loaded.summary()->split_available, std::string("yes"));
        QCOMPARE(loaded.summary()->split.wake.count, summary.split.wake.count);
        QCOMPARE(loaded.summary()->split.wire.p99_us, summary.split.wire.p99_us);
        QCOMPARE(loaded.intervals().back().split.send.max_us, records[records.size() - 2].split.send.max_us);
    }

    void unsupportedRunsSayWhy_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<bool>("open_loop");
        QTest::addColumn<QString>("reason");
        QTest::newRow("unix") << Transport::Unix << EngineKind::Blocking << false << "unix stream sockets";
        QTest::newRow("open loop tcp")
            << Transport::Tcp << EngineKind::Spin << true << "open loop splits datagrams only";
        QTest::newRow("open loop verify")
            << Transport::Udp << EngineKind::Libuv << true << "--verify-payload";
    }
    // No zeros that look measured: split_available names the reason, JSON's split is null and the
    // CSV cells are empty; the run itself is measured as usual.
    void unsupportedRunsSayWhy() {
        QFETCH(Transport, transport);
        QFETCH(EngineKind, engine);
        QFETCH(bool, open_loop);
        QFETCH(QString, reason);
        PingConfig c = session_config(transport, engine);
        c.open_loop = open_loop;
        c.verify_payload = reason == "--verify-payload";
        std::string error;
        const std::vector<IntervalRecord> records = run(c, error);
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(!records.empty());
        QVERIFY(records.back().received > 0);
        for (const IntervalRecord& r : records) {
            QVERIFY2(r.split_available.rfind("no: ", 0) == 0, r.split_available.c_str());
            QVERIFY2(r.split_available.find(reason.toStdString()) != std::string::npos,
                     r.split_available.c_str());
            QVERIFY(!r.has_split());
            QVERIFY(to_json(r)["split"].is_null());
            const std::string row = format_csv_row(r);
            // The 14 split columns stay empty (the strays count follows them), and the peer's 8 (then
            // the skipped count).
            QVERIFY2(row.ends_with(std::string(14, ',') + ',' + std::to_string(r.strays) +
                                   ",\"no: no split on the ping's side\"" + std::string(8, ',') + ',' +
                                   std::to_string(r.skipped)),
                     row.c_str());
            QCOMPARE(csv_columns(row), csv_columns(csv_header()));
        }
    }

    // The peer's side splits wire into network and pong: a pong of ours holding each echo 1 ms shows
    // it in pong, not in network; a plain echo peer (started apart, not told to measure) keeps three
    // parts and says why. Saved sessions and the JSON and CSV records carry it.
    void peerSideSplitsWire_data() {
        QTest::addColumn<bool>("plain");
        QTest::newRow("in-process pong, 1 ms delay") << false;
        QTest::newRow("plain echo peer") << true;
    }
    void peerSideSplitsWire() {
        QFETCH(bool, plain);
        PingConfig c = session_config(Transport::Udp, EngineKind::Blocking);
        c.rate = 200;
        c.duration = 400 * kNanosPerMilli;
        c.interval = 200 * kNanosPerMilli;
        std::unique_ptr<PongServer> echo;
        if (plain) {
            echo =
                start_pong({.listen = {parse_endpoint("udp://127.0.0.1:0")}, .engine = EngineKind::Blocking});
            c.peer = echo->endpoints().front();
        } else {
            c.pong_delay = kNanosPerMilli;
        }
        std::string error;
        const std::vector<IntervalRecord> records = run(c, error);
        QVERIFY2(error.empty(), error.c_str());
        const IntervalRecord& s = records.back();
        QCOMPARE(s.kind, IntervalRecord::Kind::Summary);
        QVERIFY(s.has_split() && s.split.wire.count > 0);
        if (plain) {
            QVERIFY2(s.peer_split_available.starts_with("no: a plain echo peer"),
                     s.peer_split_available.c_str());
            QVERIFY(!to_json(s)["split"].contains("pong"));
            QCOMPARE(s.split.pong.count, 0u);
            return;
        }
        QCOMPARE(s.peer_split_available, std::string("yes"));
        // One request per boundary (and the warm-up's end) may fall on the other side of it.
        QVERIFY(s.split.pong.count + records.size() >= s.split.wire.count);
        QVERIFY(s.split.pong.count <= s.split.wire.count + records.size());
        QVERIFY2(s.split.pong.p50_us >= 1000, qPrintable(QString::number(s.split.pong.p50_us)));
        QVERIFY2(s.split.network.p50_us < 500, qPrintable(QString::number(s.split.network.p50_us)));
        QCOMPARE(s.split.network.p50_us, std::max(0.0, s.split.wire.p50_us - s.split.pong.p50_us));
        const nlohmann::json j = to_json(s);
        QCOMPARE(j["peer_split_available"].get<std::string>(), std::string("yes"));
        QCOMPARE(j["split"]["pong"]["p50_us"].get<double>(), s.split.pong.p50_us);
        QCOMPARE(csv_columns(format_csv_row(s)), csv_columns(csv_header()));
        QVERIFY(csv_header().ends_with(
            ",peer_split_available,split_pong_p50_us,split_pong_p90_us,split_pong_p99_us,"
            "split_pong_max_us,split_network_p50_us,split_network_p90_us,"
            "split_network_p99_us,split_network_max_us,skipped"));
        RunHistory history;
        history.set_summary(s);
        const RunHistory loaded = session_from_json(session_to_json(history), "loaded");
        QCOMPARE(loaded.summary()->peer_split_available, std::string("yes"));
        QCOMPARE(loaded.summary()->split.pong.p99_us, s.split.pong.p99_us);
        QCOMPARE(loaded.summary()->split.network.mean_us, s.split.network.mean_us);
    }

    // Compaction merges splits without their histograms: exact counts, means and max; the
    // percentiles are the higher of the two.
    void mergedSplitsKeepCountsAndMeans() {
        SplitStats a, b;
        a.wake = {3, 10.0, 9.0, 12.0, 15.0, 20.0};
        b.wake = {1, 30.0, 30.0, 30.0, 30.0, 30.0};
        a.discarded = 2;
        b.unstamped = 1;
        const SplitStats m = merged(a, b);
        QCOMPARE(m.wake.count, std::uint64_t{4});
        QCOMPARE(m.wake.mean_us, 15.0);
        QCOMPARE(m.wake.p50_us, 30.0);
        QCOMPARE(m.wake.max_us, 30.0);
        QCOMPARE(m.send.count, std::uint64_t{0});
        QCOMPARE(m.send.mean_us, 0.0);
        QCOMPARE(m.discarded, std::uint64_t{2});
        QCOMPARE(m.unstamped, std::uint64_t{1});
    }

    // --help says which engines and transports split and which do not.
    void helpListsWhatWorks() {
        QProcess ping;
        ping.start(LE_PING_PATH, {"--help"});
        QVERIFY(ping.waitForFinished(30'000));
        const QString help = QString::fromUtf8(ping.readAllStandardOutput()).simplified();
        QVERIFY(help.contains("--kernel-timestamps"));
        QVERIFY2(help.contains(
                     QString::fromUtf8(kKernelSplitSupport.data(), kKernelSplitSupport.size()).simplified()),
                 qPrintable(help));
    }

    // Without --kernel-timestamps the records say it was not asked for.
    void notAskedForSaysSo() {
        PingConfig c = session_config(Transport::Udp, EngineKind::Blocking);
        c.kernel_timestamps = false;
        c.duration = 200 * kNanosPerMilli;
        std::string error;
        const std::vector<IntervalRecord> records = run(c, error);
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(!records.empty());
        QCOMPARE(records.back().split_available, std::string("no: not asked for (--kernel-timestamps)"));
        QCOMPARE(records.back().split.send.count, std::uint64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestKernelSplit)
#include "tst_kernel_split.moc"
