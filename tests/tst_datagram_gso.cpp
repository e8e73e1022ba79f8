// Open loop over UDP sends each batch of due messages as one GSO send, and the pong echoes each run
// of one sender's datagrams as one (datagram_batch.h, datagram_echo.h). What goes over the wire must
// not change: every message its own datagram of its own size, in order, each echo to its sender.
// With UDP GRO on the receiving socket, such a batch arrives as one buffer of equal segments: the
// pong echoes it as the same datagrams, and the ping cuts it into its echoes.
#include "datagram_echo.h"
#include "datagram_receive.h"
#include "pong_server.h"
#include "recorder.h"
#include "session_run.h"
#include "socket.h"
#include "test_echo_server.h"
#include "test_engines.h"
#include "udp_segment.h"
#include "wire.h"

#include <QRegularExpression>
#include <QtTest>

#include <netinet/in.h>
#include <poll.h>

using namespace le;

namespace {

Fd udpSocket() {
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof(any)) != 0)
        return Fd();
    return fd;
}

sockaddr_in addressOf(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return a;
}

// The datagrams waiting on `fd` within 1 s of the first, each as received.
std::vector<std::vector<std::byte>> receiveAll(int fd, std::size_t expected) {
    std::vector<std::vector<std::byte>> got;
    std::vector<std::byte> buf(70000);
    while (got.size() < expected) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0)
            break;
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n < 0)
            break;
        got.emplace_back(buf.begin(), buf.begin() + n);
    }
    return got;
}

std::vector<std::byte> datagram(std::size_t size, int index) {
    std::vector<std::byte> d(size);
    for (std::size_t i = 0; i < size; ++i)
        d[i] = std::byte(static_cast<unsigned char>(i * 31 + static_cast<std::size_t>(index) * 7 + 1));
    return d;
}

// One GSO send of `datagrams` (all of one size but the last, which may be shorter) from `fd` to `to`.
bool sendGso(int fd, const sockaddr_in& to, const std::vector<std::vector<std::byte>>& datagrams) {
    std::vector<std::byte> all;
    for (const auto& d : datagrams)
        all.insert(all.end(), d.begin(), d.end());
    iovec iov{all.data(), all.size()};
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr_in*>(&to);
    msg.msg_namelen = sizeof(to);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    UdpSegmentControl control;
    control.attach(msg, static_cast<std::uint16_t>(datagrams.front().size()));
    return ::sendmsg(fd, &msg, 0) == static_cast<ssize_t>(all.size());
}

// A batch of `count` datagrams of `size` bytes (the last `last` bytes when not 0), numbered from `first`.
std::vector<std::vector<std::byte>> batch(int count, std::size_t size, int first, std::size_t last = 0) {
    std::vector<std::vector<std::byte>> b;
    for (int i = 0; i < count; ++i)
        b.push_back(datagram(i + 1 == count && last ? last : size, first + i));
    return b;
}

// Whether this kernel keeps a GSO send together for a socket with UDP GRO on (loopback): one read
// then takes all of it, and the segment size comes with it.
bool groKeepsBatches() {
    const Fd rx = udpSocket(), tx = udpSocket();
    if (!rx || !tx || !set_udp_gro(rx.get(), true) ||
        !sendGso(tx.get(), addressOf(rx.get()), batch(4, 64, 0)))
        return false;
    pollfd p{rx.get(), POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0)
        return false;
    std::vector<std::byte> buf(70000);
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    std::size_t segment = 0;
    const ssize_t n = recv_datagrams(rx.get(), buf.data(), buf.size(), from, len, segment);
    return n == 4 * 64 && segment == 64;
}

// An open loop of half a second (after 100 ms of warm-up) that a starved peer does not end.
PingConfig openLoop(EngineKind engine, double rate) {
    PingConfig c;
    c.engine = engine;
    c.open_loop = true;
    c.rate = rate;
    c.duration = 500 * kNanosPerMilli;
    c.warmup = 100 * kNanosPerMilli;
    c.peer_lost = 0;
    return c;
}

} // namespace

class TestDatagramGso : public QObject {
    Q_OBJECT

private slots:
    // The pong's echo: datagrams from two senders, in runs of one size and of mixed sizes, some
    // too large to be GSO segments. `plan`: per datagram, its sender (a or b) and size.
    void echoKeepsEachDatagram_data() {
        QTest::addColumn<QString>("plan");
        QTest::newRow("one sender, 64 B x 8") << "a64 a64 a64 a64 a64 a64 a64 a64";
        QTest::newRow("one sender, 1472 B x 5 (largest segment)") << "a1472 a1472 a1472 a1472 a1472";
        QTest::newRow("one sender, 1473 B x 3 (one by one)") << "a1473 a1473 a1473";
        QTest::newRow("one sender, 9000 B x 2") << "a9000 a9000";
        QTest::newRow("sizes change within the batch") << "a64 a64 a100 a100 a100 a64 a1 a0";
        QTest::newRow("two senders interleaved") << "a64 a64 b64 b64 b64 a64 b100 a64";
        QTest::newRow("a full batch of one run") << QString("a64 ").repeated(DatagramEcho::kMax).trimmed();
    }
    void echoKeepsEachDatagram() {
        QFETCH(QString, plan);
        const Fd server = udpSocket(), a = udpSocket(), b = udpSocket();
        QVERIFY(server && a && b);
        const sockaddr_in to = addressOf(server.get());
        std::vector<std::vector<std::byte>> sentA, sentB;
        int index = 0;
        for (const QString& step : plan.split(' ')) {
            const bool fromA = step.startsWith('a');
            const auto d = datagram(step.mid(1).toULongLong(), index++);
            QCOMPARE(::sendto((fromA ? a : b).get(), d.data(), d.size(), 0,
                              reinterpret_cast<const sockaddr*>(&to), sizeof(to)),
                     ssize_t(d.size()));
            (fromA ? sentA : sentB).push_back(d);
        }
        DatagramEcho echo;
        int echoed = 0;
        while (echoed < index) {
            const DatagramEcho::Result r = echo.echo(server.get(), true);
            QVERIFY2(r.echoed > 0, "a datagram sent was not read");
            echoed += r.echoed;
        }
        QCOMPARE(echoed, index);
        QCOMPARE(receiveAll(a.get(), sentA.size()), sentA);
        QCOMPARE(receiveAll(b.get(), sentB.size()), sentB);
    }

    // With UDP GRO on the pong's socket, a sender's GSO batches arrive whole: each goes back as the
    // same datagrams (also batches of full-size segments, a short last segment, and more segments
    // than one GSO send takes in older kernels), in order, to their own sender. `plan`: the batches,
    // COUNTxSIZE[/LAST] from sender a or b; a plain datagram is 1xSIZE.
    void groBatchesComeBackAsSent_data() {
        QTest::addColumn<QString>("plan");
        QTest::addColumn<bool>("batchReader"); // DatagramEcho, or the single reads (recv_datagrams)
        for (const bool batchReader : {true, false}) {
            const char* how = batchReader ? "recvmmsg" : "single";
            QTest::addRow("%s: 32 x 64 B", how) << "a32x64" << batchReader;
            QTest::addRow("%s: 7 x 100 B, the last 40 B", how) << "a7x100/40" << batchReader;
            QTest::addRow("%s: 20 x 1472 B", how) << "a20x1472" << batchReader;
            QTest::addRow("%s: 100 x 64 B (over 64 segments)", how) << "a100x64" << batchReader;
            QTest::addRow("%s: batches, plain datagrams, two senders", how)
                << "a8x64 a1x64 b5x200 a1x100 b3x64/10 a16x64" << batchReader;
        }
    }
    void groBatchesComeBackAsSent() {
        QFETCH(QString, plan);
        QFETCH(bool, batchReader);
        if (!groKeepsBatches())
            QSKIP("this kernel does not keep a GSO send together for a UDP_GRO socket on loopback");
        const Fd server = udpSocket(), a = udpSocket(), b = udpSocket();
        QVERIFY(server && a && b);
        QVERIFY(set_udp_gro(server.get(), true));
        const sockaddr_in to = addressOf(server.get());
        std::vector<std::vector<std::byte>> sentA, sentB;
        int index = 0;
        for (const QString& step : plan.split(' ')) {
            const bool fromA = step.startsWith('a');
            const QStringList parts = step.mid(1).split(QRegularExpression("[x/]"));
            const auto datagrams = batch(parts[0].toInt(), parts[1].toULongLong(), index,
                                         parts.size() > 2 ? parts[2].toULongLong() : 0);
            index += static_cast<int>(datagrams.size());
            const int from = (fromA ? a : b).get();
            if (datagrams.size() == 1)
                QCOMPARE(::sendto(from, datagrams[0].data(), datagrams[0].size(), 0,
                                  reinterpret_cast<const sockaddr*>(&to), sizeof(to)),
                         ssize_t(datagrams[0].size()));
            else
                QVERIFY(sendGso(from, to, datagrams));
            auto& sent = fromA ? sentA : sentB;
            sent.insert(sent.end(), datagrams.begin(), datagrams.end());
        }
        int echoed = 0, reads = 0;
        if (batchReader) {
            DatagramEcho echo;
            while (echoed < index) {
                const DatagramEcho::Result r = echo.echo(server.get(), true);
                QVERIFY2(r.echoed > 0, "a datagram sent was not read");
                echoed += r.echoed;
                reads += r.reads;
            }
        } else {
            std::vector<std::byte> buf(kMaxUdpPayload + 1);
            bool gso = true;
            while (echoed < index) {
                pollfd p{server.get(), POLLIN, 0};
                QVERIFY2(::poll(&p, 1, 1000) == 1, "a datagram sent was not read");
                sockaddr_storage from{};
                socklen_t len = sizeof(from);
                std::size_t segment = 0;
                const ssize_t n = recv_datagrams(server.get(), buf.data(), buf.size(), from, len, segment);
                QVERIFY(n >= 0);
                const auto size = static_cast<std::size_t>(n);
                if (segment < size)
                    echo_segments(server.get(), buf.data(), size, segment, reinterpret_cast<sockaddr*>(&from),
                                  len, gso);
                else
                    ::sendto(server.get(), buf.data(), size, 0, reinterpret_cast<sockaddr*>(&from), len);
                echoed += segment < size ? static_cast<int>((size + segment - 1) / segment) : 1;
                ++reads;
            }
        }
        QCOMPARE(echoed, index);
        QVERIFY2(reads < index, "no batch came whole: the GRO path was not taken");
        QCOMPARE(receiveAll(a.get(), sentA.size()), sentA);
        QCOMPARE(receiveAll(b.get(), sentB.size()), sentB);
    }

    // The ping's receive with UDP GRO: a pong's batched echoes (one GSO send) are cut into their
    // echoes, each resolving its own message; a plain echo still resolves one.
    void groReceiveResolvesEachEcho() {
        if (!groKeepsBatches())
            QSKIP("this kernel does not keep a GSO send together for a UDP_GRO socket on loopback");
        const Fd ping = udpSocket(), pong = udpSocket();
        QVERIFY(ping && pong);
        const sockaddr_in pingAt = addressOf(ping.get()), pongAt = addressOf(pong.get());
        QCOMPARE(::connect(ping.get(), reinterpret_cast<const sockaddr*>(&pongAt), sizeof(pongAt)), 0);
        Recorder recorder;
        const std::atomic<Nanos> from{0};
        EchoBook book(recorder, true, kNanosPerSecond, from, 1024);
        constexpr int kEchoes = 41;
        std::vector<std::vector<std::byte>> echoes;
        for (int seq = 0; seq < kEchoes; ++seq) {
            QVERIFY(book.sent(static_cast<std::uint64_t>(seq), now_ns(), now_ns(), 64));
            std::vector<std::byte> e(64);
            fill_pattern(e.data(), e.size());
            write_sequence(e.data(), static_cast<std::uint64_t>(seq));
            echoes.push_back(e);
        }
        DatagramReceive receive;
        QVERIFY(receive.enable_gro(ping.get()));
        QVERIFY(sendGso(pong.get(), pingAt, {echoes.begin(), echoes.begin() + 32}));
        QVERIFY(sendGso(pong.get(), pingAt, {echoes.begin() + 32, echoes.end() - 1}));
        QCOMPARE(::sendto(pong.get(), echoes.back().data(), 64, 0, reinterpret_cast<const sockaddr*>(&pingAt),
                          sizeof(pingAt)),
                 ssize_t(64));
        int received = 0;
        while (received < kEchoes) {
            const DatagramReceive::Result r = receive.receive(ping.get(), book, true);
            QCOMPARE(r.error, 0);
            QVERIFY2(r.received > 0, "an echo sent was not read");
            received += r.received;
        }
        QCOMPARE(received, kEchoes);
        QCOMPARE(book.outstanding(), std::uint64_t(0)); // every message resolved by its own echo
    }

    // The spin pong turns UDP GRO on once batches queue up, and keeps it: its single reads, and
    // its delay queue when impairments come on later, still echo each datagram of a batch as its
    // own, in order (with the delay, each held on its own).
    void spinPongKeepsDatagramsUnderGro() {
        if (!groKeepsBatches())
            QSKIP("this kernel does not keep a GSO send together for a UDP_GRO socket on loopback");
        PongConfig config;
        config.engine = EngineKind::Spin;
        config.listen.push_back(parse_endpoint("udp://127.0.0.1:0"));
        const std::unique_ptr<PongServer> server = start_pong(config);
        const Endpoint ep = server->endpoints().at(0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(ep.port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const Fd client = udpSocket();
        QVERIFY(client);
        int index = 0;
        const auto round = [&](int batches, Nanos atLeast) {
            std::vector<std::vector<std::byte>> sent;
            const Nanos start = now_ns();
            for (int i = 0; i < batches; ++i) {
                const auto b = batch(32, 64, index, i % 2 ? 20 : 0);
                index += 32;
                if (!sendGso(client.get(), to, b))
                    return QStringLiteral("a GSO send failed");
                sent.insert(sent.end(), b.begin(), b.end());
            }
            const auto got = receiveAll(client.get(), sent.size());
            if (got != sent)
                return QStringLiteral("%1 datagrams back for %2 sent, or not the same")
                    .arg(got.size())
                    .arg(sent.size());
            if (now_ns() - start < atLeast)
                return QStringLiteral("echoed before the delay");
            return QString();
        };
        // Four batches at a time: the client's socket buffer holds their echoes.
        QString why = round(4, 0); // batches queue up: GRO goes on
        QVERIFY2(why.isEmpty(), qPrintable(why));
        why = round(4, 0);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        server->set_impairments(5 * kNanosPerMilli, 0, 0);
        QTest::qWait(20);
        why = round(4, 5 * kNanosPerMilli);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        server->set_impairments(0, 0, 0);
        QTest::qWait(20);
        why = round(4, 0);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        for (int i = 0; i < 5; ++i) { // one batch at a time: the single reads
            why = round(1, 0);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
        // A closed loop's single datagrams for a while: GRO goes off (the plain reads are cheaper)
        // and comes back with the next batches, each datagram still its own.
        for (int i = 0; i < 1500; ++i) {
            const auto d = datagram(64, index++);
            QCOMPARE(::sendto(client.get(), d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                              sizeof(to)),
                     ssize_t(d.size()));
            QCOMPARE(receiveAll(client.get(), 1), std::vector<std::vector<std::byte>>{d});
        }
        for (int i = 0; i < 3; ++i) {
            why = round(4, 0);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
    }

    // End to end: an open loop at 200k msg/s against the in-process pong of the same engine (every
    // ping here reads with GRO, the spin pong too once batches form, and every UDP pong echoes runs
    // as GSO sends): no echo is misread (a batch taken for one datagram would be a bad echo, an
    // error), and the counts are exact.
    void openLoopThroughGro_data() {
        QTest::addColumn<EngineKind>("engine");
        for (EngineKind e : {EngineKind::Spin, EngineKind::Blocking, EngineKind::Asio, EngineKind::AsioPool,
                             EngineKind::Uring, EngineKind::Libuv})
            QTest::newRow(std::string(to_string(e)).c_str()) << e;
    }
    void openLoopThroughGro() {
        QFETCH(EngineKind, engine);
        PingConfig c = openLoop(engine, 200000);
        c.transport = Transport::Udp;
        const RunResult r = run(c);
        QVERIFY2(r.error.empty(), r.error.c_str());
        const IntervalRecord& s = r.summary;
        QVERIFY2(s.sent > 1000, qPrintable(QString::number(s.sent))); // it ran (sanitizers slow it)
        QCOMPARE(s.errors, std::uint64_t(0));
        QCOMPARE(s.sent, s.received + s.lost + s.errors);
    }

    // A batched open loop at 100k msg/s against a plain echo server: every datagram on the wire is
    // one message of the payload's size (none merged, none cut), and every message is counted.
    void batchedSendsAreSeparateDatagrams_data() {
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<int>("payload");
        for (EngineKind e : {EngineKind::Blocking, EngineKind::Asio, EngineKind::Spin})
            for (int payload : {64, 1472, 2000}) {
                const std::string name = std::string(to_string(e)) + "-" + std::to_string(payload);
                QTest::newRow(name.c_str()) << e << payload;
            }
    }
    void batchedSendsAreSeparateDatagrams() {
        QFETCH(EngineKind, engine);
        QFETCH(int, payload);
        TestEchoServer server(Transport::Udp);
        PingConfig c = openLoop(engine, 100000);
        c.peer = server.endpoint();
        c.payload = static_cast<std::size_t>(payload);
        const RunResult r = run(c);
        QVERIFY2(r.error.empty(), r.error.c_str());
        const IntervalRecord& s = r.summary;
        QCOMPARE(s.sent, s.received + s.lost + s.errors);
        QVERIFY2(s.sent >= 10000, qPrintable(QString::number(s.sent)));
        QCOMPARE(server.largest(), std::size_t(payload));
        // The measured messages, the warm-up's and the connection probe all reached the server.
        QVERIFY2(server.datagrams() >= s.sent,
                 qPrintable(QStringLiteral("%1 datagrams for %2 sent").arg(server.datagrams()).arg(s.sent)));
    }
};

QTEST_GUILESS_MAIN(TestDatagramGso)
#include "tst_datagram_gso.moc"
