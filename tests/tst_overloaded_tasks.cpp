// Compute tasks that overload the engine's own loop (100 tasks x 20 us every 1 ms = 2 cores of work
// on one thread) slow the echoes down but do not stop them: the loop still turns to its sockets
// between rounds of tasks, in every engine whose tasks share the data path's loop. (libuv once ran
// tasks re-armed at 0 ms again and again before polling, and no echo was ever read.)
#include "ping_session.h"
#include "sanitizer_build.h"

#include <QtTest>

using namespace le;

Q_DECLARE_METATYPE(le::EngineKind)
Q_DECLARE_METATYPE(le::Transport)

class TestOverloadedTasks : public QObject {
    Q_OBJECT

private slots:
    void echoesGoOnUnderOverload_data() {
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<Transport>("transport");
        for (EngineKind e : {EngineKind::Asio, EngineKind::Uring, EngineKind::Libuv, EngineKind::AsioUring})
            for (Transport t : {Transport::Tcp, Transport::Udp})
                QTest::addRow("%s-%s", to_string(e).data(), to_string(t).data()) << e << t;
    }
    void echoesGoOnUnderOverload() {
        QFETCH(EngineKind, engine);
        QFETCH(Transport, transport);
        PingConfig c;
        c.engine = engine;
        c.transport = transport;
        c.rate = 100;
        c.tasks = 100;
        c.warmup = 200 * kNanosPerMilli;
        c.duration = 1500 * kNanosPerMilli;
        c.interval = 500 * kNanosPerMilli;
        c.timeout = 2 * kNanosPerSecond * kSanitizerSlowdown; // slow echoes, not lost ones
        PingSession session(c);
        session.start();
        IntervalRecord r, summary;
        const Nanos give_up = now_ns() + 60 * kNanosPerSecond;
        while (now_ns() < give_up && summary.kind != IntervalRecord::Kind::Summary) {
            if (!session.next_record(r, 100 * kNanosPerMilli)) {
                if (session.finished())
                    break;
                continue;
            }
            if (r.kind == IntervalRecord::Kind::Summary)
                summary = r;
        }
        QVERIFY2(session.error().empty(), session.error().c_str());
        QCOMPARE(summary.kind, IntervalRecord::Kind::Summary);
        QCOMPARE(summary.tasks, 100);
        qInfo("%s/%s with 100 tasks: %llu echoes in %.2f s, p50 %.0f us", to_string(engine).data(),
              to_string(transport).data(), static_cast<unsigned long long>(summary.received),
              summary.duration_s, summary.p50_us);
        // Counts, not speeds: echoes came back, and every message is accounted for.
        QVERIFY2(summary.received > 0, "no echo came back while the tasks ran");
        QCOMPARE(summary.sent, summary.received + summary.lost + summary.errors);
    }
};

QTEST_GUILESS_MAIN(TestOverloadedTasks)
#include "tst_overloaded_tasks.moc"
