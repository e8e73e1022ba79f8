// The peer's side of the kernel split: every pong engine, asked to, measures the residence of each
// UDP request (the kernel's RX stamp -> the send call of its echo), exactly once per request echoed,
// each inside its own round trip (and, held by a delay, at least the delay); not asked to, it
// records nothing. On TCP every engine does so once per read, which is once per request sent one at
// a time; a Unix stream pong says why not. Counts and orderings only: nothing here depends on speed. (The
// records a ping session makes of it: tst_kernel_split.)
#include "histogram.h"
#include "kernel_timestamps.h"
#include "pong_server.h"
#include "sanitizer_build.h"
#include "socket.h"
#include "split_stats.h"
#include "test_engines.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

using namespace le;

Q_DECLARE_METATYPE(le::EngineKind)

namespace {

constexpr int kClosedLoop = 12; // requests one at a time
constexpr int kBurst = 6;       // then this many at once: several wait when the pong wakes
constexpr int kRequests = kClosedLoop + kBurst;
constexpr Nanos kIoTimeout = 5 * kNanosPerSecond * kSanitizerSlowdown;

// What the pong measured of this row's requests, summed over as many takes as it needs: the last
// echo can reach the client before its residence is written.
struct Taken {
    Histogram residence;
    std::uint64_t unstamped = 0;
    std::uint64_t discarded = 0;
    std::uint64_t total() const { return residence.count() + unstamped + discarded; }
    void add(const ResidenceData& d) {
        residence.add(d.residence);
        unstamped += d.unstamped;
        discarded += d.discarded;
    }
};

// One datagram each way (a signal, e.g. the uring pong waking its ring's thread, may interrupt the
// wait: it goes on). True when it went, or came whole.
bool send_one(int fd, const std::array<char, 64>& out) {
    ssize_t r;
    do
        r = ::send(fd, out.data(), out.size(), 0);
    while (r < 0 && errno == EINTR);
    return r == static_cast<ssize_t>(out.size());
}
bool recv_one(int fd, std::array<char, 64>& in) {
    ssize_t r;
    do
        r = ::recv(fd, in.data(), in.size(), 0);
    while (r < 0 && errno == EINTR);
    return r == static_cast<ssize_t>(in.size());
}

// A stream's echo of one request: every byte of it, however many reads that takes.
bool recv_whole(int fd, std::array<char, 64>& in) {
    for (std::size_t got = 0; got < in.size();) {
        const ssize_t r = ::recv(fd, in.data() + got, in.size() - got, 0);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            return false;
        got += r > 0 ? static_cast<std::size_t>(r) : 0;
    }
    return true;
}

// Sends kRequests datagrams to `pong` and reads every echo back (a stream: kClosedLoop requests, one
// at a time, so each is one read of the pong's); returns the longest round trip, a burst's counted
// from its first send to its last echo (0 when an echo did not come).
Nanos exchange(const Endpoint& pong) {
    Fd client = connect_to(pong, kIoTimeout);
    set_recv_timeout(client.get(), kIoTimeout);
    const bool stream = pong.transport != Transport::Udp;
    std::array<char, 64> out{}, in{};
    Nanos longest = 0;
    for (int i = 0; i < kClosedLoop; ++i) {
        const Nanos sent = now_ns();
        if (!send_one(client.get(), out) ||
            !(stream ? recv_whole(client.get(), in) : recv_one(client.get(), in)))
            return 0;
        longest = std::max(longest, now_ns() - sent);
    }
    if (stream)
        return longest;
    const Nanos first = now_ns();
    for (int i = 0; i < kBurst; ++i)
        if (!send_one(client.get(), out))
            return 0;
    for (int i = 0; i < kBurst; ++i)
        if (!recv_one(client.get(), in))
            return 0;
    return std::max(longest, now_ns() - first);
}

} // namespace

class TestPongResidence : public QObject {
    Q_OBJECT

    Fd m_keepStamping; // keeps the kernel's RX stamping switched on between the rows' pongs

private slots:
    void initTestCase() {
        // The kernel switches RX stamping on system-wide lazily when the first socket asks and off
        // when the last one closes: a socket of our own keeps it on, so the rows' requests are stamped.
        m_keepStamping = listen_on(parse_endpoint("udp://127.0.0.1:0"));
        QCOMPARE(enable_rx_timestamps(m_keepStamping.get()), std::string());
        // Switching on is a deferred work item: datagrams to itself until one comes stamped.
        const Endpoint self = local_endpoint(m_keepStamping.get(), Transport::Udp);
        Fd probe = connect_to(self, kIoTimeout);
        std::int64_t rx = 0;
        for (const Nanos give_up = now_ns() + kIoTimeout; rx == 0 && now_ns() < give_up;) {
            std::array<char, 64> buf{};
            QVERIFY(send_one(probe.get(), buf));
            QVERIFY(recvfrom_stamped(m_keepStamping.get(), buf.data(), buf.size(), 0, nullptr, nullptr, rx) >
                    0);
        }
        QVERIFY2(rx != 0, "the kernel gives no RX software stamps");
    }

    // Takes what the pong measured of `requests` requests (or nothing, not asked) and checks it: each
    // once, none unstamped, each at least `delay` and shorter than the `longest` round trip.
    static void checkTaken(PongServer& pong, bool measure, std::uint64_t requests, Nanos delay,
                           Nanos longest) {
        Taken taken;
        for (const Nanos give_up = now_ns() + kIoTimeout; now_ns() < give_up;) {
            taken.add(pong.take_residence());
            if (!measure || taken.total() >= requests)
                break;
            QTest::qWait(1);
        }
        if (!measure) {
            QCOMPARE(taken.total(), std::uint64_t{0});
            return;
        }
        QCOMPARE(taken.total(), requests);
        QCOMPARE(taken.unstamped, std::uint64_t{0}); // stamping stays on (initTestCase)
        QVERIFY(taken.residence.count() > 0);
        const std::int64_t lowest = taken.residence.min(), highest = taken.residence.max();
        QVERIFY2(lowest > 0 && lowest >= delay, qPrintable(QString("shortest residence %1 ns").arg(lowest)));
        QVERIFY2(highest < longest,
                 qPrintable(
                     QString("longest residence %1 ns, longest round trip %2 ns").arg(highest).arg(longest)));
        taken = {};
        taken.add(pong.take_residence());
        QCOMPARE(taken.total(), std::uint64_t{0}); // each request once
    }

    void everyEngineMeasures_data() {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<bool>("measure");
        QTest::addColumn<Nanos>("delay");
        for (const QString t : {"udp", "tcp"})
            for (EngineKind e : kTestEngines) {
                const QString name = t + " " + QString::fromUtf8(to_string(e).data());
                const QString listen = t + "://127.0.0.1:0";
                QTest::newRow(qPrintable(name + " direct")) << listen << e << true << Nanos{0};
                QTest::newRow(qPrintable(name + " 2 ms delay")) << listen << e << true << 2 * kNanosPerMilli;
                QTest::newRow(qPrintable(name + " not asked")) << listen << e << false << Nanos{0};
            }
    }
    // Asked to, each request echoed has its residence (or is counted unstamped or discarded), and a
    // residence lies inside the round trip that carried it, after any hold; not asked to, nothing.
    // Over TCP one residence per read: per request, sent one at a time.
    void everyEngineMeasures() {
        QFETCH(QString, listen);
        QFETCH(EngineKind, engine);
        QFETCH(bool, measure);
        QFETCH(Nanos, delay);
        const std::unique_ptr<PongServer> pong = start_pong({.listen = {parse_endpoint(listen.toStdString())},
                                                             .engine = engine,
                                                             .delay = delay,
                                                             .measure_residence = measure});
        QCOMPARE(pong->residence_unavailable(), std::string(measure ? "" : "not asked for"));
        const Endpoint& where = pong->endpoints().front();
        const Nanos longest = exchange(where);
        QVERIFY2(longest > 0, qPrintable(QString("an echo did not come back: %1").arg(std::strerror(errno))));
        checkTaken(*pong, measure, where.transport == Transport::Udp ? kRequests : kClosedLoop, delay,
                   longest);
    }

    // Unix stream sockets get no kernel stamps: the pong says so rather than reporting nothing.
    void unixSaysWhy() {
        const QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath("pong.sock");
        const std::unique_ptr<PongServer> pong =
            start_pong({.listen = {parse_endpoint(("unix://" + path).toStdString())},
                        .engine = EngineKind::Blocking,
                        .measure_residence = true});
        QVERIFY2(pong->residence_unavailable().starts_with("unix stream sockets get no kernel timestamps"),
                 pong->residence_unavailable().c_str());
    }
};

QTEST_GUILESS_MAIN(TestPongResidence)
#include "tst_pong_residence.moc"
