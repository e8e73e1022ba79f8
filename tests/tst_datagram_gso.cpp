// Open loop over UDP sends each batch of due messages as one GSO send, and the pong echoes each run
// of one sender's datagrams as one (datagram_batch.h, datagram_echo.h). What goes over the wire must
// not change: every message its own datagram of its own size, in order, each echo to its sender.
#include "datagram_echo.h"
#include "session_run.h"
#include "socket.h"
#include "test_echo_server.h"
#include "test_engines.h"

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
        PingConfig c;
        c.peer = server.endpoint();
        c.engine = engine;
        c.open_loop = true;
        c.rate = 100000;
        c.payload = static_cast<std::size_t>(payload);
        c.duration = 500 * kNanosPerMilli;
        c.warmup = 100 * kNanosPerMilli;
        c.peer_lost = 0;
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
