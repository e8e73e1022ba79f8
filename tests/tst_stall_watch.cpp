// How a stalled run is told: a peer that stopped answering is "peer lost", a ping that stopped
// sending while nothing held it back (starved by its compute tasks) is "ping overloaded", and a
// slow schedule or echoes merely waiting to be read are neither.
#include "stall_watch.h"

#include <QtTest>

using namespace le;

namespace {

constexpr Nanos kMs = kNanosPerMilli;

// A run 10 s in, peer-lost time 1.5 s, 1k msg/s.
StallFacts facts() {
    StallFacts f;
    f.now = 10'000 * kMs;
    f.lost_after = 1500 * kMs;
    f.send_gap = 1 * kMs;
    f.last_sent = f.now - 1 * kMs;
    return f;
}

} // namespace

class TestStallWatch : public QObject {
    Q_OBJECT

private slots:
    void flowingRunIsFine() { QCOMPARE(judge_stall(facts()), Stall::None); }

    void silentPeerIsLost() {
        StallFacts f = facts();
        f.unanswered_since = f.now - 1600 * kMs;
        f.unanswered = 3;
        QCOMPARE(judge_stall(f), Stall::PeerLost);
        f.unanswered = 1;
        f.min_unanswered = 2; // a datagram can be lost: one is not enough
        QCOMPARE(judge_stall(f), Stall::None);
        f.unanswered_since = f.now - 1400 * kMs; // not long enough yet
        f.unanswered = 3;
        QCOMPARE(judge_stall(f), Stall::None);
    }

    void starvedPingIsOverloadedNotLost() {
        // Everything sent was answered, and nothing went out for 1.6 s at 1k msg/s.
        StallFacts f = facts();
        f.last_sent = f.now - 1600 * kMs;
        QCOMPARE(judge_stall(f), Stall::PingOverloaded);
        // The echoes wait unread in the ping's own socket: the peer answered, the ping is behind.
        f.unanswered = 5;
        f.unanswered_since = f.last_sent - 10 * kMs;
        f.echoes_waiting = true;
        QCOMPARE(judge_stall(f), Stall::PingOverloaded);
        // Without the echoes waiting that is a peer that stopped answering.
        f.echoes_waiting = false;
        QCOMPARE(judge_stall(f), Stall::PeerLost);
    }

    void behindButSendingIsNeither() {
        StallFacts f = facts();
        f.unanswered = 100;
        f.unanswered_since = f.now - 2000 * kMs;
        f.echoes_waiting = true; // the receiver is behind, the sender still sends
        QCOMPARE(judge_stall(f), Stall::None);
    }

    void slowScheduleIsNotASilence() {
        StallFacts f = facts();
        f.send_gap = 1000 * kMs; // 1 msg/s
        f.last_sent = f.now - 2000 * kMs;
        QCOMPARE(judge_stall(f), Stall::None);
        f.last_sent = f.now - 2600 * kMs;
        QCOMPARE(judge_stall(f), Stall::PingOverloaded);
    }

    void neverEndsWhenDisabledOrNothingSent() {
        StallFacts f = facts();
        f.last_sent = 0; // the engine has not sent yet (its tasks are still starting)
        QCOMPARE(judge_stall(f), Stall::None);
        f = facts();
        f.lost_after = 0;
        f.last_sent = 1;
        QCOMPARE(judge_stall(f), Stall::None);
    }

    void messagesSayWhich() {
        QCOMPARE(stall_message(Stall::PeerLost, 1500 * kMs), std::string("peer lost: no echo for 1.5 s"));
        QVERIFY(
            stall_message(Stall::PingOverloaded, 1500 * kMs).rfind("ping overloaded: no send for 1.5 s", 0) ==
            0);
    }
};

QTEST_APPLESS_MAIN(TestStallWatch)
#include "tst_stall_watch.moc"
