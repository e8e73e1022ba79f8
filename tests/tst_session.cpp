// End-to-end runs through PingSession, the API both the command line and the window use.
#include "pacer.h"
#include "ping_session.h"
#include "sanitizer_build.h"
#include "schedule_check.h"
#include "session_run.h"
#include "test_echo_server.h"
#include "test_engines.h"

#include <QtTest>

#include <optional>

using namespace le;

Q_DECLARE_METATYPE(le::Transport)
Q_DECLARE_METATYPE(le::EngineKind)

namespace {

// An open loop keeps the target: never ahead of it by more than `tolerance`, and behind it by less
// than 10 %, which tells a pacer that works from one at the wrong rate. Closer than that is a speed
// figure (bench_engines prints it). Under a sanitizer the data path runs several times slower, so
// there only pacing never running ahead of the target is checked. (A closed loop's own check,
// scheduleProblem, also counts the slots it skipped.)
bool reachesRate(double achieved, double target, double tolerance) {
    if (kSanitizerBuild)
        return achieved > 0 && achieved < target + tolerance;
    return achieved < target + tolerance && achieved > 0.9 * target;
}

PingConfig quick_config(Transport t, EngineKind e) {
    PingConfig c;
    c.transport = t;
    c.engine = e;
    c.rate = 2000;
    c.duration = 600 * kNanosPerMilli;
    c.warmup = 100 * kNanosPerMilli;
    c.interval = 200 * kNanosPerMilli;
    // An echo later than this counts lost; instrumented code is that much slower (sanitizer_build.h).
    c.timeout = 200 * kNanosPerMilli * kSanitizerSlowdown;
    return c;
}

void add_matrix() {
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<EngineKind>("engine");
    for (EngineKind e : kTestEngines)
        for (Transport t : {Transport::Tcp, Transport::Udp, Transport::Unix})
            QTest::addRow("%s-%s", to_string(e).data(), to_string(t).data()) << t << e;
}

} // namespace

class TestSession : public QObject {
    Q_OBJECT

private slots:
    void roundTripEveryTransportAndEngine_data() { add_matrix(); }
    void roundTripEveryTransportAndEngine();

    void plainEchoServerIsAPeer_data() { add_matrix(); }
    void plainEchoServerIsAPeer();

    void openLoopCountsEveryLoss_data() {
        // Streams do not lose messages; loss is a datagram matter.
        QTest::addColumn<EngineKind>("engine");
        for (EngineKind e : kTestEngines)
            QTest::addRow("%s-udp", to_string(e).data()) << e;
    }
    void openLoopCountsEveryLoss();
    void closedLoopUdpCountsLossAndGoesOn();

    void liveChangesShowInIntervalRecords_data() { add_matrix(); }
    void liveChangesShowInIntervalRecords();
    void badLiveValuesAreRefusedAndChangeNothing();

    void pacerKeepsTheSchedule_data();
    void pacerKeepsTheSchedule();
    void achievedRateMatchesTarget_data();
    void achievedRateMatchesTarget();

    void largestPayloadOnStreams_data() { add_matrix(); }
    void largestPayloadOnStreams();
    void computeTasksLoadTheEngine_data();
    void computeTasksLoadTheEngine();
    void spinEngineBurnsACore_data();
    void spinEngineBurnsACore();
    void stopEndsEarlyWithSummary();
    void peerThatDoesNotEchoIsReported();
    void unreachablePeerFailsFast();
};

void TestSession::roundTripEveryTransportAndEngine() {
    QFETCH(Transport, transport);
    QFETCH(EngineKind, engine);
    for (const bool open_loop : {false, true}) {
        PingConfig c = quick_config(transport, engine);
        c.open_loop = open_loop;
        c.payload = transport == Transport::Udp ? 1200 : 4096;
        c.duration = 300 * kNanosPerMilli; // 600 messages: 48 runs of this are a CTest minute otherwise
        const RunResult r = run(c);
        QVERIFY2(r.error.empty(), r.error.c_str());
        QVERIFY(!r.intervals.empty());
        const IntervalRecord& s = r.summary;
        QCOMPARE(s.kind, IntervalRecord::Kind::Summary);
        // 2000/s for 0.3 s; a sanitizer build may not keep the pace (the counts below stay exact). A
        // closed loop may skip slots on a loaded host, and counts them.
        if (open_loop) {
            QVERIFY2(s.received > 250u / kSanitizerSlowdown, qPrintable(QString::number(s.received)));
            QCOMPARE(s.skipped, 0u);
        } else {
            const QString problem = scheduleProblem(s.sent, s.skipped, s.duration_s, 2000);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        QCOMPARE(s.errors, 0u);
        QCOMPARE(s.lost, 0u);
        QCOMPARE(s.sent, s.received + s.lost + s.errors);
        QCOMPARE(s.bytes, s.sent * c.payload);
        QVERIFY(s.min_us > 0);
        QVERIFY(s.min_us <= s.p50_us && s.p50_us <= s.p99_us && s.p99_us <= s.max_us);
        QCOMPARE(s.rtt_ns->count(), s.received);
        // The summary is the sum of the intervals.
        std::uint64_t sent = 0;
        for (const auto& i : r.intervals)
            sent += i.sent;
        QCOMPARE(sent, s.sent);
    }
}

void TestSession::plainEchoServerIsAPeer() {
    QFETCH(Transport, transport);
    QFETCH(EngineKind, engine);
    TestEchoServer echo(transport);
    PingConfig c = quick_config(transport, engine);
    c.peer = echo.endpoint();
    const RunResult r = run(c);
    QVERIFY2(r.error.empty(), r.error.c_str());
    const QString problem = scheduleProblem(r.summary.sent, r.summary.skipped, r.summary.duration_s, 2000);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(r.summary.errors, 0u);
    QCOMPARE(r.summary.sent, r.summary.received);
}

void TestSession::openLoopCountsEveryLoss() {
    QFETCH(EngineKind, engine);
    TestEchoServer echo(Transport::Udp, 10); // drops sequence numbers 9, 19, 29, ...
    PingConfig c = quick_config(Transport::Udp, engine);
    c.peer = echo.endpoint();
    c.open_loop = true;
    c.warmup = 0; // every message is counted, so the expected losses follow from `sent`
    c.timeout = 50 * kNanosPerMilli;
    const RunResult r = run(c);
    QVERIFY2(r.error.empty(), r.error.c_str());
    const IntervalRecord& s = r.summary;
    QVERIFY(s.sent > 500);
    QCOMPARE(s.lost, s.sent / 10);
    QCOMPARE(s.received, s.sent - s.sent / 10);
    QCOMPARE(s.errors, 0u);
    QCOMPARE(echo.dropped(), s.sent / 10);
}

void TestSession::closedLoopUdpCountsLossAndGoesOn() {
    TestEchoServer echo(Transport::Udp, 5);
    PingConfig c = quick_config(Transport::Udp, EngineKind::Blocking);
    c.peer = echo.endpoint();
    c.warmup = 0;
    c.rate = 200;
    c.timeout = 20 * kNanosPerMilli;
    const RunResult r = run(c);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY(r.summary.sent >= 50);
    QCOMPARE(r.summary.lost, r.summary.sent / 5);
    QCOMPARE(r.summary.received + r.summary.lost, r.summary.sent);
}

void TestSession::liveChangesShowInIntervalRecords() {
    QFETCH(Transport, transport);
    QFETCH(EngineKind, engine);
    PingConfig c = quick_config(transport, engine);
    c.rate = 1000;
    c.duration = 0; // until stopped
    c.interval = 250 * kNanosPerMilli;
    std::optional<double> rate_changed_at;
    bool stopped = false;
    const RunResult r = run(c, [&](PingSession& s, const std::vector<IntervalRecord>& records) {
        switch (records.size()) {
        case 1:
            s.apply("rate", "3k");
            s.set_payload(1024);
            s.set_tasks(4);
            rate_changed_at = s.elapsed_s();
            break;
        case 4:
            s.stop();
            stopped = true;
            break;
        }
    });
    QVERIFY(stopped);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY(r.intervals.size() >= 4);
    // The interval in which the change happened carries it, stamped with its time.
    const IntervalRecord& changed = r.intervals[1];
    QCOMPARE(changed.changes.size(), 3u);
    QCOMPARE(changed.changes[0].key, std::string("rate"));
    QCOMPARE(changed.changes[0].value, std::string("3k"));
    QCOMPARE(changed.changes[1].value, std::string("1 KiB"));
    QCOMPARE(changed.changes[2].value, std::string("4"));
    QVERIFY(std::abs(changed.changes[0].t_s - *rate_changed_at) < 0.05 * kSanitizerSlowdown);
    QCOMPARE(r.intervals[0].target_rate, 1000.0);
    // On the old schedule, every slot sent or counted skipped (the interval's edges blur it: 10 %).
    const IntervalRecord& before = r.intervals[0];
    QString problem = scheduleProblem(before.sent, before.skipped, before.duration_s, 1000, 0.1);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // A full interval after the change runs at the new settings.
    const IntervalRecord& after = r.intervals[2];
    QCOMPARE(after.target_rate, 3000.0);
    // The target is exact, and the schedule follows it: its slots, sent or skipped, come 3000 a
    // second. (Closed loop skips the slots it misses: with 4 tasks just started beside it on 2 cores
    // a quiet machine sent 2036 of 3000 once, a loaded CI machine 1344; its speed is the benchmarks'
    // business; a VM with a 2.6 ms loopback p99 sent 570.) The slots show the change took.
    problem = scheduleProblem(after.sent, after.skipped, after.duration_s, 3000, 0.1, 0.1);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(after.payload, 1024u);
    QCOMPARE(after.bytes, after.sent * 1024);
    QCOMPARE(after.tasks, 4);
    QCOMPARE(r.summary.changes.size(), 3u);
}

void TestSession::badLiveValuesAreRefusedAndChangeNothing() {
    PingConfig c = quick_config(Transport::Udp, EngineKind::Asio);
    c.duration = 0;
    PingSession s(c);
    s.start();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.set_rate(0.5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.set_rate(2e6));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.set_payload(70000)); // over one UDP datagram
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.set_tasks(-1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.apply("colour", "red"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.apply("rate", "fast"));
    s.stop();
    IntervalRecord r;
    while (s.next_record(r, kNanosPerSecond) && r.kind != IntervalRecord::Kind::Summary) {
    }
    QCOMPARE(r.kind, IntervalRecord::Kind::Summary);
    QCOMPARE(r.target_rate, 2000.0);
    QCOMPARE(r.payload, 64u);
    QVERIFY(r.changes.empty());
}

void TestSession::pacerKeepsTheSchedule_data() {
    QTest::addColumn<double>("rate");
    QTest::addColumn<int>("messages");
    QTest::newRow("10/s") << 10.0 << 6;
    QTest::newRow("100/s") << 100.0 << 51;
    QTest::newRow("1k/s") << 1000.0 << 501;
    QTest::newRow("10k/s") << 10000.0 << 5001;
    QTest::newRow("100k/s") << 100000.0 << 50001;
}

void TestSession::pacerKeepsTheSchedule() {
    QFETCH(double, rate);
    QFETCH(int, messages);
    use_precise_timers();
    Pacer pacer;
    pacer.reset(now_ns(), rate);
    Nanos first = 0, last = 0;
    Nanos worst_late = 0;
    for (int k = 0; k < messages; ++k) {
        QVERIFY(wait_until(pacer.due()));
        const Nanos t = now_ns();
        worst_late = std::max(worst_late, t - pacer.due());
        (k == 0 ? first : last) = t;
        pacer.advance();
    }
    const double achieved = (messages - 1) / to_seconds(last - first);
    QVERIFY2(std::abs(achieved / rate - 1) < 0.02, qPrintable(QString("achieved %1").arg(achieved)));
    qInfo("rate %.0f: achieved %.1f, worst lateness %.1f us", rate, achieved, to_micros(worst_late));
}

void TestSession::achievedRateMatchesTarget_data() {
    QTest::addColumn<double>("rate");
    QTest::addColumn<bool>("openLoop");
    QTest::addColumn<EngineKind>("engine");
    // Closed loop where RTT << 1/rate; open loop for a fast rate (it does not wait for echoes) that a
    // loaded 2-core machine still sustains. The highest rate each engine reaches is a speed figure:
    // it belongs to a benchmark (CI measured 68k-73k of 100k for asio-pool and asio-uring here).
    for (EngineKind e : kTestEngines) {
        QTest::addRow("closed-100-%s", to_string(e).data()) << 100.0 << false << e;
        QTest::addRow("closed-1k-%s", to_string(e).data()) << 1000.0 << false << e;
        QTest::addRow("open-10k-%s", to_string(e).data()) << 10000.0 << true << e;
    }
}

void TestSession::achievedRateMatchesTarget() {
    QFETCH(double, rate);
    QFETCH(bool, openLoop);
    QFETCH(EngineKind, engine);
    PingConfig c = quick_config(Transport::Udp, engine);
    c.rate = rate;
    c.open_loop = openLoop;
    c.duration = kNanosPerSecond; // at 100/s, 100 slots: the 2 % tolerance plus 3 for the edges
    c.interval = c.duration;
    const RunResult r = run(c);
    QVERIFY2(r.error.empty(), r.error.c_str());
    if (openLoop) { // sends whatever the echoes do: nothing is skipped
        QCOMPARE(r.summary.skipped, std::uint64_t{0});
        QVERIFY2(reachesRate(r.summary.achieved_rate, rate, 0.02 * rate),
                 qPrintable(QString("achieved %1").arg(r.summary.achieved_rate)));
    } else {
        const QString problem =
            scheduleProblem(r.summary.sent, r.summary.skipped, r.summary.duration_s, rate, 0.02);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
}

void TestSession::largestPayloadOnStreams() {
    // 1 MiB is more than a socket buffer: sending it whole before reading would deadlock both ends.
    QFETCH(Transport, transport);
    QFETCH(EngineKind, engine);
    if (transport == Transport::Udp)
        return; // one datagram carries at most 65507 bytes; checked by the payload tests
    PingConfig c = quick_config(transport, engine);
    c.payload = kMaxPayload;
    c.rate = 50;
    c.duration = 500 * kNanosPerMilli;
    const RunResult r = run(c);
    QVERIFY2(r.error.empty(), r.error.c_str());
    // Flowing, not a speed bar: the run has 25 slots, and one exchange held up costs every slot it
    // overlaps (seen twice in about 60 runs, asio-uring over TCP: 19 of 25, a stall of some 100 ms
    // whose cause is not traced; the engines' speed is bench_engines' business).
    QVERIFY2(r.summary.received >= 10,
             qPrintable(QString("%1 of %2 sent").arg(r.summary.received).arg(r.summary.sent)));
    QCOMPARE(r.summary.received + r.summary.lost, r.summary.sent);
    QCOMPARE(r.summary.errors, 0u);
    QCOMPARE(r.summary.bytes, r.summary.sent * kMaxPayload);
}

void TestSession::computeTasksLoadTheEngine_data() {
    QTest::addColumn<EngineKind>("engine");
    // The engines whose tasks share the data path's loop (the others' are threads of their own).
    for (EngineKind e : {EngineKind::Asio, EngineKind::Uring, EngineKind::Libuv, EngineKind::AsioUring})
        QTest::newRow(to_string(e).data()) << e;
}

void TestSession::computeTasksLoadTheEngine() {
    // 20 tasks x 40 us every 2 ms = 0.4 cores of real work: the process must burn CPU for them,
    // from the start and when they are added live. (2 ms, not 1: libuv's timers count whole
    // milliseconds, and at a 1 ms period its tasks get ~80% of their wake-ups.)
    QFETCH(EngineKind, engine);
    PingConfig c = quick_config(Transport::Tcp, engine);
    c.rate = 100;
    c.tasks = 20;
    c.task_work = 40 * kNanosPerMicro;
    c.task_period = 2 * kNanosPerMilli;
    c.duration = kNanosPerSecond;
    const auto cpu_now = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
    };
    double cpu0 = cpu_now();
    double wall0 = to_seconds(now_ns());
    const RunResult r = run(c);
    const double cores = (cpu_now() - cpu0) / (to_seconds(now_ns()) - wall0);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(r.summary.tasks, 20);
    QVERIFY2(cores > 0.25, qPrintable(QString("CPU use %1 cores").arg(cores)));

    // Live: 0 tasks for three intervals, then 20 for three; the second stretch costs the CPU.
    c.tasks = 0;
    c.duration = 0;
    double idle_cores = 0, busy_cores = 0;
    const RunResult live = run(c, [&](PingSession& s, const std::vector<IntervalRecord>& records) {
        const double cpu = cpu_now(), wall = to_seconds(now_ns());
        if (records.size() == 1) {
            cpu0 = cpu;
            wall0 = wall;
        } else if (records.size() == 4) {
            idle_cores = (cpu - cpu0) / (wall - wall0);
            s.set_tasks(20);
        } else if (records.size() == 5) {
            cpu0 = cpu;
            wall0 = wall;
        } else if (records.size() == 8) {
            busy_cores = (cpu - cpu0) / (wall - wall0);
            s.stop();
        }
    });
    QVERIFY2(live.error.empty(), live.error.c_str());
    qInfo("%s: %.2f cores without tasks, %.2f with 20 added live", to_string(engine).data(), idle_cores,
          busy_cores);
    // Half the 0.4 cores the tasks ask for: enough to tell tasks that run from tasks that do not
    // (+0.00), with room for libuv's whole-millisecond timers under TSan (+0.246 seen in CI).
    QVERIFY2(busy_cores - idle_cores > 0.2,
             qPrintable(QString("%1 -> %2 cores").arg(idle_cores).arg(busy_cores)));
}

void TestSession::spinEngineBurnsACore_data() {
    QTest::addColumn<EngineKind>("engine");
    QTest::addColumn<double>("minCores");
    QTest::addColumn<double>("maxCores");
    QTest::newRow("spin") << EngineKind::Spin << 0.8 << 64.0;
    QTest::newRow("blocking") << EngineKind::Blocking << 0.0 << 0.3;
}

void TestSession::spinEngineBurnsACore() {
    // The honesty check: spin's low latency costs a whole core even at 100 msg/s, where blocking
    // sleeps almost all the time. The peer is an asio pong for both, so only the ping's engine varies
    // (an embedded pong would run the same engine and could burn the core in its place).
    QFETCH(EngineKind, engine);
    QFETCH(double, minCores);
    QFETCH(double, maxCores);
    PongConfig pong_config;
    pong_config.listen = {Endpoint{Transport::Tcp, "127.0.0.1", 0, {}}};
    pong_config.engine = EngineKind::Asio;
    const auto pong = start_pong(pong_config);
    PingConfig c = quick_config(Transport::Tcp, engine);
    c.peer = pong->endpoints().front();
    c.rate = 100;
    c.warmup = 0;
    c.duration = kNanosPerSecond;
    c.interval = c.duration;
    const auto cpu_now = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
    };
    const double cpu0 = cpu_now();
    const double wall0 = to_seconds(now_ns());
    const RunResult r = run(c);
    const double cores = (cpu_now() - cpu0) / (to_seconds(now_ns()) - wall0);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY(r.summary.received >= 90);
    qInfo("%s at 100 msg/s: %.2f cores", to_string(engine).data(), cores);
    if (kSanitizerBuild) // the one figure not checked: instrumented code spends CPU of its own
        QSKIP("sanitizer build: CPU use is the sanitizer's as much as the engine's");
    QVERIFY2(cores >= minCores && cores < maxCores, qPrintable(QString("CPU use %1 cores").arg(cores)));
}

void TestSession::stopEndsEarlyWithSummary() {
    PingConfig c = quick_config(Transport::Tcp, EngineKind::Blocking);
    c.duration = 30 * kNanosPerSecond;
    QElapsedTimer timer;
    timer.start();
    const RunResult r = run(c, [](PingSession& s, const std::vector<IntervalRecord>& records) {
        if (records.size() == 2)
            s.stop();
    });
    QVERIFY(timer.elapsed() < 3000);
    QVERIFY(r.summary.received > 0);
    QCOMPARE(r.summary.sent, r.summary.received);
    QVERIFY(std::abs(r.summary.duration_s - 0.4) < 0.15);
}

void TestSession::peerThatDoesNotEchoIsReported() {
    // A UDP socket that receives but never answers.
    Endpoint ep{Transport::Udp, "127.0.0.1", 0, {}};
    Fd silent = listen_on(ep);
    PingConfig c = quick_config(Transport::Udp, EngineKind::Blocking);
    c.peer = local_endpoint(silent.get(), Transport::Udp);
    c.connect_timeout = 500 * kNanosPerMilli;
    PingSession s(c);
    try {
        s.start();
        QFAIL("start() should have thrown");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains("did not echo"), e.what());
    }
}

void TestSession::unreachablePeerFailsFast() {
    PingConfig c = quick_config(Transport::Tcp, EngineKind::Blocking);
    c.peer = Endpoint{Transport::Tcp, "127.0.0.1", 1, {}};
    PingSession s(c);
    QElapsedTimer timer;
    timer.start();
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, s.start());
    QVERIFY(timer.elapsed() < 3000);
}

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
