// The pong under abuse: it must echo exactly, survive garbage, partial messages, clients that never
// read and a thousand connections, keep serving the others meanwhile, and bound its memory.
// (Impairments: tst_pong_impairments.)
#include "pong_test_support.h"
#include "test_engines.h"

#include <malloc.h>

class TestPong : public PongFixture {
    Q_OBJECT

    QString m_fdProblem; // why 1000 connections cannot be opened, empty when they can

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        rlimit lim{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
        if (lim.rlim_cur < kWantedFiles) {
            rlimit want = lim;
            want.rlim_cur = kWantedFiles;
            if (want.rlim_max != RLIM_INFINITY && want.rlim_max < kWantedFiles)
                want.rlim_max = kWantedFiles; // only root may raise the hard limit
            if (::setrlimit(RLIMIT_NOFILE, &want) != 0)
                m_fdProblem = QStringLiteral("RLIMIT_NOFILE is %1 (hard %2) and cannot be raised to %3: %4")
                                  .arg(lim.rlim_cur)
                                  .arg(lim.rlim_max)
                                  .arg(kWantedFiles)
                                  .arg(QString::fromLocal8Bit(std::strerror(errno)));
        }
    }

    // Random bytes of every size come back byte-identical: streams up to 1 MiB on one connection,
    // datagrams up to the largest UDP payload.
    void echoIsExact_data() { add_rows(true); }
    void echoIsExact() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        auto server = startPong(engine, transport);
        const Endpoint ep = server->endpoints().at(0);
        Fd c = connectTo(ep);
        if (ep.transport == Transport::Udp) {
            std::vector<std::size_t> sizes{1, 8, 64, 512, 1472, 1500, 8192, 32768, 65000, le::kMaxUdpPayload};
            std::mt19937_64 rng(42);
            for (int i = 0; i < 20; ++i)
                sizes.push_back(std::uniform_int_distribution<std::size_t>(1, le::kMaxUdpPayload)(rng));
            for (const std::size_t size : sizes) {
                const Bytes out = random_bytes(size, size);
                const auto got = datagram_echo(c.get(), out);
                QVERIFY2(got, qPrintable(QStringLiteral("no echo of a %1-byte datagram").arg(size)));
                QVERIFY2(*got == out, qPrintable(mismatch(out, *got)));
            }
        } else {
            for (const std::size_t size :
                 {std::size_t{1}, std::size_t{8}, std::size_t{64}, std::size_t{1500}, 64 * kKiB, kMiB}) {
                const Bytes out = random_bytes(size, size);
                const Bytes got = exchange(c.get(), out);
                QVERIFY2(got == out, qPrintable(mismatch(out, got)));
            }
            // Nothing beyond the echo: the pong adds no byte of its own.
            unsigned char extra = 0;
            QCOMPARE(wait_recv(c.get(), &extra, 1, 100 * kMs), ssize_t{-2});
        }
    }

    // Bursts from several clients at once, sent before any echo is read, so the pong finds many
    // datagrams waiting (the batched echo, datagram_echo.h): each client gets back its own, each
    // byte-identical, in the order it sent them.
    void datagramBurstsReturnToEachSender_data() {
        QTest::addColumn<QString>("engine");
        for (const EngineKind e : kTestEngines)
            QTest::addRow("%s", qPrintable(engine_name(e))) << engine_name(e);
    }
    void datagramBurstsReturnToEachSender() {
        QFETCH(QString, engine);
        auto server = startPong(engine, QStringLiteral("udp"));
        const Endpoint ep = server->endpoints().at(0);
        constexpr int kClients = 4, kBurst = 48;
        std::vector<Fd> clients;
        std::vector<std::vector<Bytes>> sent(kClients);
        for (int c = 0; c < kClients; ++c)
            clients.push_back(connectTo(ep));
        std::mt19937_64 rng(7);
        for (int i = 0; i < kBurst; ++i)
            for (int c = 0; c < kClients; ++c) {
                const auto size =
                    std::uniform_int_distribution<std::size_t>(1, i == 0 ? le::kMaxUdpPayload : 3000)(rng);
                sent[c].push_back(random_bytes(size, 1000 * c + i));
                const Bytes& out = sent[c].back();
                QCOMPARE(::send(clients[c].get(), out.data(), out.size(), 0),
                         static_cast<ssize_t>(out.size()));
            }
        Bytes got(le::kMaxUdpPayload + 1);
        for (int c = 0; c < kClients; ++c)
            for (int i = 0; i < kBurst; ++i) {
                const ssize_t n = wait_recv(clients[c].get(), got.data(), got.size(), kIoTimeout);
                QVERIFY2(
                    n >= 0,
                    qPrintable(QStringLiteral("client %1: echo %2 of %3 missing").arg(c).arg(i).arg(kBurst)));
                QVERIFY2(
                    Bytes(got.begin(), got.begin() + n) == sent[c][i],
                    qPrintable(QStringLiteral("client %1: echo %2 is not its datagram %2").arg(c).arg(i)));
            }
    }

    // Split messages, junk and clients that vanish mid-message; afterwards a new client is served.
    void garbageAndPartialMessages_data() { add_rows(true); }
    void garbageAndPartialMessages() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        auto server = startPong(engine, transport);
        const Endpoint ep = server->endpoints().at(0);
        // Each case's connection is first seen accepted, then gone from the pong's books, so that a
        // connection still in the listen queue is not taken for one that left. Soon, but not on a
        // schedule: the spin pong on Unix streams once took over 3 s in the full suite on a slow
        // 2-vCPU host, and uring over TCP once 10.05 s (libuv over TCP once over 10 s), neither seen
        // again in hundreds of runs of the row; awaitGone() prints any wait over a second.
        const int kGone = 30000 * kSanitizerSlowdown;
        std::uint64_t cases = 0;
        const auto gone = [&](const char* what) { return awaitGone(*server, ++cases, what, kGone); };

        if (ep.transport == Transport::Udp) {
            // Junk datagrams of random sizes, an empty one among them, each echoed as it was.
            Fd c = connectTo(ep);
            std::mt19937_64 rng(3);
            for (int i = 0; i < 16; ++i) {
                const std::size_t size =
                    i == 5 ? 0 : std::uniform_int_distribution<std::size_t>(1, 1500)(rng);
                const Bytes out = random_bytes(size, 100 + i);
                const auto got = datagram_echo(c.get(), out);
                QVERIFY2(got, qPrintable(QStringLiteral("no echo of a %1-byte junk datagram").arg(size)));
                QVERIFY2(*got == out, qPrintable(mismatch(out, *got)));
            }
            // Clients that send and vanish before their echo arrives (the echo meets a closed port).
            for (int i = 0; i < 20; ++i) {
                Fd gone = connectTo(ep);
                const Bytes junk = random_bytes(60000, 200 + i);
                QCOMPARE(::send(gone.get(), junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
            }
        } else {
            {
                // 3 bytes, a pause, 5 more: the 8 come back identical however they were split.
                Fd c = connectTo(ep);
                const Bytes out = random_bytes(8, 1);
                QVERIFY(send_all(c.get(), Bytes(out.begin(), out.begin() + 3)));
                QTest::qWait(50);
                QVERIFY(send_all(c.get(), Bytes(out.begin() + 3, out.end())));
                Bytes got(8);
                std::size_t n = 0;
                while (n < got.size()) {
                    const ssize_t r = wait_recv(c.get(), got.data() + n, got.size() - n, kIoTimeout);
                    QVERIFY2(r > 0, "the echo of a split message did not come back whole");
                    n += static_cast<std::size_t>(r);
                }
                QVERIFY2(got == out, qPrintable(mismatch(out, got)));
                // Junk of every kind on the same connection, including bytes that look like text.
                const Bytes junk = random_bytes(200 * kKiB, 2);
                QVERIFY2(exchange(c.get(), junk) == junk, "random junk was not echoed exactly");
                const QByteArray text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\0\xff\n";
                const Bytes textBytes(text.begin(), text.end());
                QVERIFY2(exchange(c.get(), textBytes) == textBytes, "text junk was not echoed exactly");
            }
            QString left = gone("split message and junk");
            QVERIFY2(left.isEmpty(), qPrintable(left));
            {
                // Half-close after 3 bytes: the 3 still come back, then EOF.
                Fd c = connectTo(ep);
                const Bytes out = random_bytes(3, 4);
                QVERIFY(send_all(c.get(), out));
                QCOMPARE(::shutdown(c.get(), SHUT_WR), 0);
                Bytes got(16);
                std::size_t n = 0;
                ssize_t r = 0;
                while ((r = wait_recv(c.get(), got.data() + n, got.size() - n, kIoTimeout)) > 0)
                    n += static_cast<std::size_t>(r);
                got.resize(n);
                QVERIFY2(got == out, qPrintable(mismatch(out, got)));
                QCOMPARE(r, ssize_t{0}); // EOF, not a timeout or a reset
            }
            left = gone("half-close");
            QVERIFY2(left.isEmpty(), qPrintable(left));
            {
                // Closed mid-message, with unread echo pending: the pong's write meets a reset.
                Fd c = connectTo(ep);
                QVERIFY(push_until_full(c.get(), 300 * kKiB, 20 * kMs) > 0);
            }
            left = gone("closed with its echo pending");
            QVERIFY2(left.isEmpty(), qPrintable(left));
            {
                // Aborted (RST) mid-message.
                Fd c = connectTo(ep);
                QVERIFY(send_all(c.get(), random_bytes(5, 5)));
                const linger abort{1, 0};
                QCOMPARE(::setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof(abort)), 0);
            }
            left = gone("RST");
            QVERIFY2(left.isEmpty(), qPrintable(left));
            {
                Fd silent = connectTo(ep); // connects, says nothing, leaves
            }
            left = gone("silent client");
            QVERIFY2(left.isEmpty(), qPrintable(left));
        }
        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
    }

    // A client that sends 8 MiB and never reads does not stall the others: the pong stops reading
    // it (back-pressure) and keeps answering a second client within 50 ms.
    void clientThatNeverReads_data() { add_rows(true); }
    void clientThatNeverReads() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        auto server = startPong(engine, transport);
        const Endpoint ep = server->endpoints().at(0);

        Fd nonReader = connectTo(ep);
        // Over UDP the datagrams (and their echoes) that find no room are simply dropped.
        const std::size_t pushed = push_until_full(nonReader.get(), 8 * kMiB, 200 * kMs,
                                                   ep.transport == Transport::Udp ? 60000 : 64 * kKiB);
        qInfo("the kernel took %zu KiB from the client that never reads", pushed / kKiB);
        QVERIFY(pushed > 0);

        Fd other = connectTo(ep);
        Nanos worst = 0;
        for (int i = 0; i < 200; ++i) {
            const Bytes out = random_bytes(64, 1000 + i);
            const Nanos t0 = le::now_ns();
            Bytes got;
            if (ep.transport == Transport::Udp) {
                const auto reply = datagram_echo(other.get(), out);
                QVERIFY2(reply, "no echo for the other client");
                got = *reply;
            } else {
                got = exchange(other.get(), out);
            }
            worst = std::max(worst, le::now_ns() - t0);
            QVERIFY2(got == out, qPrintable(mismatch(out, got)));
        }
        qInfo("worst RTT of the other client: %.1f us", le::to_micros(worst));
        QVERIFY2(worst < 50 * kMs, qPrintable(QStringLiteral("worst RTT %1 ms while a client does not read")
                                                  .arg(le::to_seconds(worst) * 1e3)));
        if (ep.transport != Transport::Udp)
            QCOMPARE(active_of(*server), qint64{2});

        nonReader.reset();
        other.reset();
        if (ep.transport != Transport::Udp)
            QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{0}, 3000 * kSanitizerSlowdown);
        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
    }

    // 1000 simultaneous connections: each is served, one more client still is, all are counted,
    // and all are forgotten once closed.
    void thousandConnections_data() { add_rows(false); }
    void thousandConnections() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        if (!m_fdProblem.isEmpty())
            QSKIP(qPrintable(m_fdProblem));
        auto server = startPong(engine, transport);
        const Endpoint ep = server->endpoints().at(0);

        std::vector<Fd> clients;
        clients.reserve(kManyConnections);
        for (int i = 0; i < kManyConnections; ++i)
            clients.push_back(connectTo(ep));
        QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{kManyConnections}, 10000 * kSanitizerSlowdown);

        for (int i = 0; i < kManyConnections; ++i) {
            const Bytes out = random_bytes(8, 5000 + i);
            const Bytes got = exchange(clients[i].get(), out);
            QVERIFY2(got == out,
                     qPrintable(QStringLiteral("connection %1: %2").arg(i).arg(mismatch(out, got))));
        }
        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
        QVERIFY(server->stats().accepted.load() >= std::uint64_t{kManyConnections + 1});
        QCOMPARE(refused_of(*server), qint64{0});

        clients.clear();
        QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{0}, 5000 * kSanitizerSlowdown);
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
    }

    // Over max_connections a client is closed at once (EOF, not a hang), the others are served,
    // and a freed slot is usable again.
    void maxConnections_data() { add_rows(false); }
    void maxConnections() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        auto server = startPong(engine, transport, 5);
        const Endpoint ep = server->endpoints().at(0);

        std::vector<Fd> clients;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(connectTo(ep));
            const Bytes out = random_bytes(8, 10 + i);
            QVERIFY2(exchange(clients.back().get(), out) == out, "one of the first five was not served");
        }
        QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{5}, 3000 * kSanitizerSlowdown);

        Fd sixth = connectTo(ep);
        QElapsedTimer timer;
        timer.start();
        unsigned char byte = 0;
        const ssize_t r = wait_recv(sixth.get(), &byte, 1, 2 * le::kNanosPerSecond);
        QVERIFY2(r == 0 || (r == -1 && errno == ECONNRESET),
                 qPrintable(QStringLiteral("the 6th connection got %1 instead of EOF").arg(r)));
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QStringLiteral("EOF after %1 ms").arg(timer.elapsed())));
        QCOMPARE(refused_of(*server), qint64{1});
        QCOMPARE(active_of(*server), qint64{5});
        for (int i = 0; i < 5; ++i) {
            const Bytes out = random_bytes(1500, 20 + i);
            QVERIFY2(exchange(clients[i].get(), out) == out, "a served client stopped being served");
        }

        // A slot that frees up is given to the next client.
        clients.pop_back();
        QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{4}, 3000 * kSanitizerSlowdown);
        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
        QCOMPARE(refused_of(*server), qint64{1});
    }

    // The real binary with 1000 connections that each sent 64 KiB and read nothing, plus 32 that
    // push until the kernel buffers are full: its memory stays within the design's bound, it still
    // echoes for a fresh client, and SIGTERM ends it cleanly.
    void boundedMemory_data() {
        QTest::addColumn<QString>("engine");
        for (const EngineKind e : kTestEngines)
            QTest::newRow(qPrintable(engine_name(e))) << engine_name(e);
    }
    void boundedMemory() {
        QFETCH(QString, engine);
        if (!m_fdProblem.isEmpty())
            QSKIP(qPrintable(m_fdProblem));
        QProcess pong;
        pong.start(QStringLiteral(LE_PONG_PATH),
                   {QStringLiteral("--listen"), QStringLiteral("tcp://127.0.0.1:0"),
                    QStringLiteral("--engine"), engine});
        QVERIFY2(pong.waitForStarted(5000), qPrintable(pong.errorString()));
        QElapsedTimer timer;
        timer.start();
        while (!pong.canReadLine() && timer.elapsed() < 5000 && pong.state() == QProcess::Running)
            pong.waitForReadyRead(100);
        const QByteArray line = pong.readLine().trimmed();
        QVERIFY2(line.startsWith("listening on "), line.constData());
        const Endpoint ep = le::parse_endpoint(line.mid(13).toStdString());
        QCOMPARE(ep.transport, Transport::Tcp);
        QVERIFY(ep.port != 0);

        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
        const qint64 before = vm_rss(pong.processId());
        QVERIFY(before > 0);

        // 1000 connections send 64 KiB each and never read; the pong echoes it all into their
        // receive buffers (made big enough to hold it), so every connection's buffer was used.
        const Bytes payload = random_bytes(64 * kKiB, 77);
        std::vector<Fd> clients;
        clients.reserve(kManyConnections);
        for (int i = 0; i < kManyConnections; ++i) {
            clients.push_back(connectTo(ep));
            const int rcvbuf = 256 * kKiB;
            ::setsockopt(clients.back().get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
            le::set_send_timeout(clients.back().get(), 5 * le::kNanosPerSecond);
            QVERIFY2(send_all(clients.back().get(), payload), "a client could not send its 64 KiB");
        }
        const auto echoed = [&] {
            std::size_t total = 0;
            for (const Fd& c : clients) {
                int n = 0;
                ::ioctl(c.get(), FIONREAD, &n);
                total += static_cast<std::size_t>(n);
            }
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(echoed(), kManyConnections * payload.size(), 15000 * kSanitizerSlowdown);
        // 32 of them now push until the kernel will take no more: a pong that queued instead of
        // applying back-pressure would have to hold up to 32 x 8 MiB more.
        std::size_t pushed = 0;
        for (int i = 0; i < 32; ++i)
            pushed += push_until_full(clients[i].get(), 8 * kMiB, 100 * kMs);
        QTest::qWait(200);
        const qint64 after = vm_rss(pong.processId());
        const qint64 growth = after - before;
        // Design: one kPongChunk buffer per connection; the blocking engine adds a thread per
        // connection (a few touched stack pages, TLS, malloc arena slack), allowed another chunk's
        // worth. Plus 64 MiB headroom for allocator and asio bookkeeping: 1000 x 128 KiB + 64 MiB
        // = 189 MiB. Queueing what non-readers send would exceed it by far.
        const qint64 bound = qint64{kManyConnections} * 2 * qint64{le::kPongChunk} + 64 * qint64{kMiB};
        qInfo("VmRSS %lld MiB -> %lld MiB (growth %lld MiB, bound %lld MiB); %zu MiB pushed by non-readers",
              before / qint64{kMiB}, after / qint64{kMiB}, growth / qint64{kMiB}, bound / qint64{kMiB},
              pushed / kMiB);
#ifndef LE_TSAN_BUILD
        QVERIFY2(growth < bound,
                 qPrintable(QStringLiteral("VmRSS grew by %1 MiB").arg(growth / qint64{kMiB})));
#else
        // Not under TSan: it shadows application memory several times over and keeps state per
        // thread (the blocking engine's 1000), so RSS measures TSan. ASan builds keep the bound.
        qInfo("TSan build: the RSS bound is not checked");
#endif

        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));

        // SIGTERM with all those connections still open.
        pong.terminate();
        QVERIFY2(pong.waitForFinished(5000), "latency-pong did not exit within 5 s of SIGTERM");
        QCOMPARE(pong.exitStatus(), QProcess::NormalExit);
        QCOMPARE(pong.exitCode(), 0);
        QVERIFY2(pong.readAllStandardError().contains("stopped;"), "no stop summary on stderr");
    }

    // Idle connections are cheap on the asio pongs: 1000 that each had one small echo grow the
    // process by kilobytes per connection, not a kPongChunk (64 KiB) buffer each (62.5 MiB).
    void idleConnectionsAreCheap_data() {
        QTest::addColumn<QString>("engine");
        for (const char* e : {"asio", "asio-pool", "asio-uring"})
            QTest::newRow(e) << QString::fromLatin1(e);
    }
    void idleConnectionsAreCheap() {
        QFETCH(QString, engine);
        if (!m_fdProblem.isEmpty())
            QSKIP(qPrintable(m_fdProblem));
        if (kSanitizerBuild)
            QSKIP("sanitizer build: its allocator's redzones and quarantine are what RSS would measure");
        auto server = startPong(engine, "tcp", kManyConnections + 10);
        const Endpoint ep = server->endpoints().at(0);
        QString why;
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why));
        std::vector<Fd> clients;
        clients.reserve(kManyConnections);
        ::malloc_trim(0); // memory an earlier row freed counts again when it is reused
        const qint64 before = vm_rss(::getpid());
        for (int i = 0; i < kManyConnections; ++i) {
            clients.push_back(connectTo(ep));
            const Bytes out = random_bytes(64, 900 + i);
            QVERIFY2(exchange(clients.back().get(), out) == out, qPrintable(QString::number(i)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{kManyConnections + 0},
                                  10000 * kSanitizerSlowdown);
        const qint64 growth = vm_rss(::getpid()) - before;
        qInfo("%d idle connections: +%lld KiB (%lld bytes each)", kManyConnections, growth / qint64{kKiB},
              growth / kManyConnections);
        QVERIFY2(growth < qint64{kManyConnections} * 16 * qint64{kKiB},
                 qPrintable(QStringLiteral("grew %1 KiB").arg(growth / qint64{kKiB})));
        QVERIFY2(freshClientEchoes(ep, &why), qPrintable(why)); // 64 KiB: a buffer still grows to that
    }

    // stop() with 100 idle connections returns within a second, and the clients see the pong go.
    void stopIsPrompt_data() {
        add_rows(true);
    }
    void stopIsPrompt() {
        QFETCH(QString, engine);
        QFETCH(QString, transport);
        auto server = startPong(engine, transport);
        const Endpoint ep = server->endpoints().at(0);
        std::vector<Fd> clients;
        for (int i = 0; i < 100; ++i) {
            clients.push_back(connectTo(ep));
            const Bytes out = random_bytes(8, 300 + i);
            if (ep.transport == Transport::Udp) {
                const auto got = datagram_echo(clients.back().get(), out);
                QVERIFY(got && *got == out);
            }
        }
        if (ep.transport != Transport::Udp)
            QTRY_COMPARE_WITH_TIMEOUT(active_of(*server), qint64{100}, 3000 * kSanitizerSlowdown);

        QElapsedTimer timer;
        timer.start();
        server->stop();
        QVERIFY2(timer.elapsed() < 1000,
                 qPrintable(QStringLiteral("stop() took %1 ms").arg(timer.elapsed())));
        server->stop(); // idempotent
        if (ep.transport == Transport::Udp)
            return;
        // "Closes every socket" (pong_server.h): each client sees EOF or a reset, not a silent hang.
        const auto countClosed = [&] {
            int closed = 0;
            const Nanos deadline = le::now_ns() + 1000 * kMs;
            for (const Fd& c : clients) {
                unsigned char byte = 0;
                const ssize_t r = wait_recv(c.get(), &byte, 1, std::max<Nanos>(kMs, deadline - le::now_ns()));
                if (r == 0 || (r == -1 && errno == ECONNRESET))
                    ++closed;
            }
            return closed;
        };
        QCOMPARE(countClosed(), 100);
        server.reset();
        QCOMPARE(countClosed(), 100); // at the latest when the server is gone
    }
};

QTEST_GUILESS_MAIN(TestPong)
#include "tst_pong.moc"
