// CPU placement, CPU use and bursts: the knobs that move latency on a small machine more than the
// network does.
#include "cpu_affinity.h"
#include "pacer.h"
#include "ping_session.h"
#include "schedule_check.h"

#include <QtTest>

#include <QDir>
#include <QFile>
#include <QProcess>

using namespace le;

namespace {

IntervalRecord runToSummary(PingSession& s, std::vector<IntervalRecord>* intervals = nullptr) {
    IntervalRecord r;
    const Nanos give_up = now_ns() + 30 * kNanosPerSecond;
    while (now_ns() < give_up) {
        if (!s.next_record(r, 100 * kNanosPerMilli))
            continue;
        if (r.kind == IntervalRecord::Kind::Summary)
            return r;
        if (intervals)
            intervals->push_back(r);
    }
    return {};
}

// Cpus_allowed_list of every thread of this process.
QStringList threadPlacements() {
    QStringList out;
    for (const QString& tid : QDir("/proc/self/task").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(QStringLiteral("/proc/self/task/%1/status").arg(tid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (line.startsWith("Cpus_allowed_list:"))
                out << QString::fromLatin1(line.mid(18).trimmed());
    }
    return out;
}

} // namespace

class TestPlacement : public QObject {
    Q_OBJECT

private slots:
    void cpuLists_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("formatted");
        QTest::newRow("one") << "0"
                             << "0";
        QTest::newRow("two") << "0,1"
                             << "0-1";
        QTest::newRow("range") << "0-1"
                               << "0-1";
    }
    void cpuLists() {
        QFETCH(QString, text);
        QFETCH(QString, formatted);
        QCOMPARE(QString::fromStdString(format_cpu_list(parse_cpu_list(text.toStdString()))), formatted);
        QCOMPARE(QString::fromStdString(format_cpu_list({})), QStringLiteral("any"));
    }
    void badCpuLists_data() {
        QTest::addColumn<QString>("text");
        for (const char* bad : {"", "x", "1-0", "0,", "-1", "99999", "0-99999"})
            QTest::newRow(bad) << bad;
    }
    void badCpuLists() {
        QFETCH(QString, text);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parse_cpu_list(text.toStdString()));
    }

    void pacerRunsBurstsOnOneTick() {
        Pacer p;
        p.reset(1000, 1000.0, 3); // 1 ms ticks, 3 messages each
        QList<Nanos> due;
        for (int i = 0; i < 7; ++i) {
            due << p.due();
            p.advance();
        }
        const QList<Nanos> expected{1000, 1000, 1000, 1001000, 1001000, 1001000, 2001000};
        QCOMPARE(due, expected);
        // Missed slots are skipped only between bursts.
        p.reset(0, 1000.0, 2);
        p.advance();
        QCOMPARE(p.skip_missed(50 * kNanosPerMilli), std::uint64_t{0});
        QCOMPARE(p.due(), Nanos(0));
    }

    // Closed loop: the slots that passed while the ping waited are skipped, counted, and the schedule
    // stays on its grid (t0 + k / rate), so that sent + skipped counts every slot.
    void pacerSkipsMissedSlotsOnItsGrid_data() {
        QTest::addColumn<int>("burst");
        QTest::addColumn<Nanos>("now");
        QTest::addColumn<Nanos>("due");
        QTest::addColumn<std::uint64_t>("skipped");
        const Nanos ms = kNanosPerMilli;
        // Message 1 is due at 1 ms (1000/s from t0 = 0).
        QTest::newRow("on time") << 1 << ms << ms << std::uint64_t{0};
        QTest::newRow("late under a period") << 1 << Nanos{1999999} << ms << std::uint64_t{0};
        QTest::newRow("a period late") << 1 << 2 * ms << 2 * ms << std::uint64_t{1};
        QTest::newRow("4.5 periods late") << 1 << 5 * ms + ms / 2 << 5 * ms << std::uint64_t{4};
        QTest::newRow("bursts of 3") << 3 << 5 * ms + ms / 2 << 5 * ms << std::uint64_t{12};
    }
    void pacerSkipsMissedSlotsOnItsGrid() {
        QFETCH(int, burst);
        QFETCH(Nanos, now);
        QFETCH(Nanos, due);
        QFETCH(std::uint64_t, skipped);
        Pacer p;
        p.reset(0, 1000.0, burst);
        for (int i = 0; i < burst; ++i)
            p.advance(); // the first tick sent
        QCOMPARE(p.due(), kNanosPerMilli);
        QCOMPARE(p.skip_missed(now), skipped);
        QCOMPARE(p.due(), due);
        QCOMPARE(p.skip_missed(now), std::uint64_t{0}); // nothing more to skip at the same moment
        for (int i = 0; i < burst; ++i)
            p.advance();
        QCOMPARE(p.due(), due + kNanosPerMilli); // the grid goes on 1 ms apart
        // Back-to-back has no schedule, so nothing to skip.
        p.reset(0, 0, burst);
        QCOMPARE(p.skip_missed(now), std::uint64_t{0});
        QCOMPARE(p.due(), Nanos(0));
    }

    void burstSplitsFirstAndRest_data() {
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<bool>("openLoop");
        QTest::newRow("blocking-closed") << EngineKind::Blocking << false;
        QTest::newRow("blocking-open") << EngineKind::Blocking << true;
        QTest::newRow("asio-closed") << EngineKind::Asio << false;
        QTest::newRow("asio-open") << EngineKind::Asio << true;
    }
    void burstSplitsFirstAndRest() {
        QFETCH(EngineKind, engine);
        QFETCH(bool, openLoop);
        PingConfig c;
        c.engine = engine;
        c.transport = Transport::Udp;
        c.open_loop = openLoop;
        c.rate = 100;
        c.burst = 4;
        c.duration = kNanosPerSecond;
        c.warmup = 100 * kNanosPerMilli;
        c.interval = 500 * kNanosPerMilli;
        PingSession s(c);
        s.start();
        std::vector<IntervalRecord> intervals;
        const IntervalRecord sum = runToSummary(s, &intervals);
        QCOMPARE(sum.kind, IntervalRecord::Kind::Summary);
        QVERIFY2(s.error().empty(), s.error().c_str());
        QCOMPARE(sum.burst, 4);
        QVERIFY(sum.received >= 300);
        // Every tick opens one burst: a quarter are firsts, the rest the others.
        std::uint64_t first = 0, rest = 0;
        for (const auto& r : intervals) {
            QVERIFY(r.rtt_first_ns && r.rtt_rest_ns);
            QCOMPARE(r.rtt_first_ns->count() + r.rtt_rest_ns->count(), r.received);
            first += r.first.count;
            rest += r.rest.count;
        }
        QCOMPARE(first + rest, sum.received);
        QVERIFY2(std::llabs(std::int64_t(rest) - 3 * std::int64_t(first)) <= 3,
                 qPrintable(QString("first %1 rest %2").arg(first).arg(rest)));
        // 100 ticks a second, 4 messages each: every slot sent or, in closed loop on a loaded
        // machine, counted skipped (schedule_check.h; 380 of 400 were sent once here).
        const QString schedule = scheduleProblem(sum.sent, sum.skipped, sum.duration_s, 400, 0.05);
        QVERIFY2(schedule.isEmpty(), qPrintable(schedule));
        if (openLoop)
            QCOMPARE(sum.skipped, std::uint64_t{0});
        QVERIFY(sum.first.p50_us > 0 && sum.rest.p50_us > 0);
    }

    void enginesAndPongArePlaced() {
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
            QSKIP("needs two CPUs to tell the ping's placement from the pong's");
        PingConfig c;
        c.engine = EngineKind::Blocking;
        c.tasks = 2;
        c.cpu = {0};
        c.pong_cpu = {1};
        c.duration = 600 * kNanosPerMilli;
        c.warmup = 100 * kNanosPerMilli;
        c.interval = 200 * kNanosPerMilli;
        PingSession s(c);
        s.start();
        QTest::qWait(300);
        const QStringList placements = threadPlacements();
        // The ping's data path and its two task threads on CPU 0, the pong's threads on CPU 1,
        // and this (control) thread left as it was.
        QVERIFY2(placements.count("0") >= 3, qPrintable(placements.join(' ')));
        QVERIFY2(placements.count("1") >= 2, qPrintable(placements.join(' ')));
        QCOMPARE(QString::fromStdString(format_cpu_list([] {
                     std::vector<int> v;
                     const cpu_set_t m = current_affinity();
                     for (int i = 0; i < CPU_SETSIZE; ++i)
                         if (CPU_ISSET(i, &m))
                             v.push_back(i);
                     return v;
                 }())),
                 QStringLiteral("0-%1").arg(sysconf(_SC_NPROCESSORS_ONLN) - 1));
        // A task started later, from this thread, still lands on the ping's CPUs.
        s.set_tasks(4);
        QTest::qWait(100);
        QVERIFY2(threadPlacements().count("0") >= 5, qPrintable(threadPlacements().join(' ')));
        const IntervalRecord sum = runToSummary(s);
        QCOMPARE(sum.ping_cpus, std::string("0"));
        QCOMPARE(sum.pong_cpus, std::string("1"));
    }

    void placementIsReadBack() {
        // Not pinned: "any"; pinned from outside (as taskset does, by the mask it leaves): the mask.
        QCOMPARE(placement_of(), std::string("any"));
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
            QSKIP("needs two CPUs");
        {
            const ScopedAffinity outside({1}); // this thread pinned before the session exists
            QCOMPARE(placement_of(), std::string("1"));
            PingConfig c;
            c.duration = 300 * kNanosPerMilli;
            c.warmup = 50 * kNanosPerMilli;
            c.interval = 100 * kNanosPerMilli;
            PingSession s(c);
            s.start();
            const IntervalRecord sum = runToSummary(s);
            QCOMPARE(sum.ping_cpus, std::string("1")); // not "any": nobody passed --cpu
            QCOMPARE(sum.pong_cpus, std::string("1")); // the in-process pong inherits it too
        }
        // Another process's mask, read from outside (the window reads its pong child so).
        QProcess sleeper;
        sleeper.start(QStringLiteral("taskset"), {QStringLiteral("-c"), QStringLiteral("0"),
                                                  QStringLiteral("sleep"), QStringLiteral("5")});
        QVERIFY(sleeper.waitForStarted());
        QTRY_COMPARE(placement_of(static_cast<pid_t>(sleeper.processId())), std::string("0"));
        sleeper.kill();
        sleeper.waitForFinished();
        QCOMPARE(placement_of(999'999'999), std::string("unknown"));
    }

    void pingUnderTasksetReportsIt() {
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
            QSKIP("needs two CPUs");
        QProcess ping;
        ping.start(QStringLiteral("taskset"),
                   {QStringLiteral("-c"), QStringLiteral("1"), QStringLiteral(LE_PING_PATH),
                    QStringLiteral("--duration"), QStringLiteral("300ms"), QStringLiteral("--warmup"),
                    QStringLiteral("100ms")});
        QVERIFY(ping.waitForFinished(20000));
        const QString out = QString::fromUtf8(ping.readAllStandardOutput());
        QCOMPARE(ping.exitCode(), 0);
        QVERIFY2(out.contains(QStringLiteral("ping on CPUs 1, pong on CPUs 1")), qPrintable(out));
    }

    void cpuUseIsReported() {
        // 20 tasks x 50 us every 1 ms = up to one core of work. What the records report must agree
        // with the process CPU time measured independently around the run.
        const auto cpu_now = [] {
            timespec ts{};
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
            return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
        };
        PingConfig c;
        c.engine = EngineKind::Blocking;
        c.tasks = 20;
        c.task_work = 50 * kNanosPerMicro;
        c.rate = 100;
        c.duration = kNanosPerSecond;
        c.warmup = 100 * kNanosPerMilli;
        c.interval = 250 * kNanosPerMilli;
        PingSession s(c);
        s.start();
        QTest::qWait(100); // through the warm-up
        const double cpu0 = cpu_now();
        const Nanos t0 = now_ns();
        std::vector<IntervalRecord> intervals;
        const IntervalRecord sum = runToSummary(s, &intervals);
        const double measured = 100.0 * (cpu_now() - cpu0) / to_seconds(now_ns() - t0);
        QVERIFY(intervals.size() >= 3);
        for (const auto& r : intervals)
            QVERIFY2(r.cpu_percent > 10, qPrintable(QString::number(r.cpu_percent)));
        QVERIFY2(measured > 20, qPrintable(QString::number(measured)));
        QVERIFY2(std::abs(sum.cpu_percent - measured) < 0.25 * measured + 5,
                 qPrintable(QString("reported %1, measured %2").arg(sum.cpu_percent).arg(measured)));
    }
};

QTEST_GUILESS_MAIN(TestPlacement)
#include "tst_placement.moc"
