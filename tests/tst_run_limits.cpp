// What a run may be set to, checked before it starts and bounded in memory (issue 18): the open
// loop's in-flight table is sized by the run's highest rate x its timeout (not 1M msg/s x timeout),
// a live rate above that is refused, scheduled changes are checked against the run as it will be,
// and echoes of no message sent (strays) are counted apart from sent = received + lost + errors.
#include "echo_book.h"
#include "in_flight.h"
#include "ping_config.h"
#include "ping_session.h"
#include "record_format.h"
#include "run_history.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <stdexcept>

using namespace le;

namespace {

PingConfig openLoop(double rate, Nanos timeout) {
    PingConfig c;
    c.open_loop = true;
    c.rate = rate;
    c.timeout = timeout;
    return c;
}

// The message of what `f` throws as std::invalid_argument; empty when it throws nothing.
template <class F> QString refusal(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestRunLimits : public QObject {
    Q_OBJECT

private slots:
    // The table holds every message of the highest rate during one timeout, and no more than a
    // small margin beyond: 1 msg/s with a 60 s timeout took 16 Mi slots (~400 MB) before.
    void inFlightTableSize_data() {
        QTest::addColumn<double>("rate");
        QTest::addColumn<double>("ceiling");
        QTest::addColumn<qint64>("timeoutMs");
        QTest::addColumn<int>("burst");
        QTest::newRow("1/s-60s") << 1.0 << 0.0 << qint64{60'000} << 1;
        QTest::newRow("1k/s-1s") << 1e3 << 0.0 << qint64{1'000} << 1;
        QTest::newRow("10k/s-2s") << 1e4 << 0.0 << qint64{2'000} << 1;
        QTest::newRow("1k/s-ceiling-100k-2s") << 1e3 << 1e5 << qint64{2'000} << 1;
        QTest::newRow("1M/s-60s-capped") << 1e6 << 0.0 << qint64{60'000} << 1;
        QTest::newRow("1k/s-burst-10-1s") << 1e3 << 0.0 << qint64{1'000} << 10;
    }
    void inFlightTableSize() {
        QFETCH(double, rate);
        QFETCH(double, ceiling);
        QFETCH(qint64, timeoutMs);
        QFETCH(int, burst);
        PingConfig c = openLoop(rate, timeoutMs * kNanosPerMilli);
        c.rate_ceiling = ceiling;
        c.burst = burst;
        validate(c);
        const double needed = std::max(rate, ceiling) * burst * static_cast<double>(timeoutMs) / 1000.0;
        const std::size_t capacity = InFlightTable(echo_ring_capacity(c)).capacity();
        constexpr std::size_t kCap = 16 * 1024 * 1024;
        QVERIFY2(capacity >= std::min<double>(needed, kCap), qPrintable(QString::number(capacity)));
        // Rounded up to a power of two after a 25 % margin and room for a burst: under 4x.
        QVERIFY2(capacity <= std::max<double>(4 * needed, 8192), qPrintable(QString::number(capacity)));
        QVERIFY(capacity <= kCap);
    }

    void closedLoopTableIsSmall() {
        PingConfig c;
        c.timeout = 60 * kNanosPerSecond;
        QCOMPARE(echo_ring_capacity(c), std::size_t{1024});
    }

    // A live rate above what the table was sized for is refused with the reason; one within the
    // ceiling is taken. Closed loop has no such limit.
    void liveRateAboveCeiling() {
        PingSession fixed(openLoop(1000, kNanosPerSecond));
        const QString why = refusal([&] { fixed.set_rate(2000); });
        QVERIFY2(why.contains("ceiling of 1000 msg/s"), qPrintable(why));
        QCOMPARE(refusal([&] { fixed.set_rate(500); }), QString());

        PingConfig c = openLoop(1000, kNanosPerSecond);
        c.rate_ceiling = 5000;
        PingSession raised(c);
        QCOMPARE(refusal([&] { raised.set_rate(5000); }), QString());
        QVERIFY(!refusal([&] { raised.set_rate(5001); }).isEmpty());

        PingConfig closed;
        closed.rate = 1000;
        PingSession closedLoop(closed);
        QCOMPARE(refusal([&] { closedLoop.set_rate(kRateInf); }), QString());
        QCOMPARE(refusal([&] { closedLoop.set_rate(1e6); }), QString());
    }

    // A scheduled change is checked against the run as it will be: transport, loop, engine.
    void scheduledChanges_data() {
        QTest::addColumn<bool>("udp");
        QTest::addColumn<bool>("open");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("refusal"); // empty: accepted
        QTest::newRow("udp-payload-1MiB") << true << false << "payload"
                                          << "1MiB"
                                          << "UDP";
        QTest::newRow("tcp-payload-1MiB") << false << false << "payload"
                                          << "1MiB"
                                          << "";
        QTest::newRow("open-rate-inf") << false << true << "rate"
                                       << "inf"
                                       << "open loop needs a finite rate";
        QTest::newRow("closed-rate-inf") << false << false << "rate"
                                         << "inf"
                                         << "";
        QTest::newRow("tasks-200000") << false << false << "tasks"
                                      << "200000"
                                      << "tasks 200000 is out of range: the blocking engine runs 0 to 2000";
        QTest::newRow("tasks-2000") << false << false << "tasks"
                                    << "2000"
                                    << "";
        QTest::newRow("task-work-1h") << false << false << "task-work"
                                      << "1h"
                                      << "task work must be from 0 to 1 s";
        QTest::newRow("task-period-1us") << false << false << "task-period"
                                         << "1us"
                                         << "task period must be from 10 us to 10 s";
        QTest::newRow("colour") << false << false << "colour"
                                << "red"
                                << "unknown setting 'colour'";
    }
    void scheduledChanges() {
        QFETCH(bool, udp);
        QFETCH(bool, open);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, refusal);
        PingConfig c;
        c.transport = udp ? Transport::Udp : Transport::Tcp;
        c.open_loop = open;
        PingConfig changed;
        const QString why =
            ::refusal([&] { changed = with_change(c, key.toStdString(), value.toStdString()); });
        if (refusal.isEmpty()) {
            QVERIFY2(why.isEmpty(), qPrintable(why));
            if (key == "payload")
                QCOMPARE(changed.payload, std::size_t{1024 * 1024});
            if (key == "tasks")
                QCOMPARE(changed.tasks, 2000);
        } else {
            QVERIFY2(why.contains(refusal), qPrintable(why));
        }
    }

    // Strays reach every rendering of a record and the run's totals, apart from the counts.
    void straysAreReported() {
        IntervalRecord r;
        r.kind = IntervalRecord::Kind::Summary;
        r.sent = 10;
        r.received = 9;
        r.lost = 1;
        r.strays = 3;
        QCOMPARE(to_json(r).at("strays").get<std::uint64_t>(), std::uint64_t{3});
        const QString text = QString::fromStdString(format_text_summary(r));
        QVERIFY2(text.contains("sent 10, received 9, lost 1, errors 0") && text.contains("strays: 3 echoes"),
                 qPrintable(text));
        r.strays = 0;
        QVERIFY(!QString::fromStdString(format_text_summary(r)).contains("strays"));

        RunHistory history;
        IntervalRecord interval;
        interval.duration_s = interval.t_s = 1;
        interval.sent = interval.received = 5;
        interval.strays = 2;
        history.add(interval);
        interval.t_s = 2;
        history.add(interval);
        QCOMPARE(history.totals().strays, std::uint64_t{4});
        QCOMPARE(history.totals().sent, std::uint64_t{10});
    }
};

QTEST_GUILESS_MAIN(TestRunLimits)
#include "tst_run_limits.moc"
