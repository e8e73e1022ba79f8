// The agent on loopback (no root needed): limits, 1,000 connections beside a working client,
// endpoints created, measured against and destroyed, peer-lost detection, and the CLI.
// (The protocol and its refusals: tst_agent_protocol.)
#include "test_agent.h"

#include <arpa/inet.h>

class TestAgent_ : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        // 1,000 client sockets and the agent's own in one process.
        rlimit r{};
        getrlimit(RLIMIT_NOFILE, &r);
        r.rlim_cur = std::max<rlim_t>(r.rlim_cur, std::min<rlim_t>(r.rlim_max, 4096));
        setrlimit(RLIMIT_NOFILE, &r);
    }

    // 1,000 connections held open from one address (half-open: they never say hello) while an
    // authenticated client keeps being served: only 8 of them hold a slot, the rest are refused at
    // once with the reason. Then connections in their handshake from 100 more addresses fill every
    // slot, and still a client with the token gets in (it takes the slot of the oldest of them).
    void thousandConnections() {
        AgentServerConfig c;
        c.max_connections = 64;
        TestAgent agent(kToken, c);
        const auto client = AgentClient::connect(agent.url(), kToken);
        const auto open = [&](const char* from) {
            Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            inet_pton(AF_INET, from, &addr.sin_addr);
            if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
                return Fd();
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addr.sin_port = htons(agent.port());
            if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
                fd.reset();
            return fd;
        };
        const auto refusal = [](const Fd& fd) {
            set_recv_timeout(fd.get(), 2 * kNanosPerSecond);
            char buffer[512] = {};
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer - 1, 0);
            return n > 0 ? std::string(buffer) : std::string();
        };
        std::vector<Fd> flood;
        Nanos worst_ping = 0;
        for (int i = 0; i < 1000; ++i) {
            Fd fd = open("127.0.0.2");
            QVERIFY2(fd, strerror(errno));
            if (i % 3 == 0)
                ::send(fd.get(), "{\"type\":\"hel", 12, MSG_NOSIGNAL); // half a line, never finished
            flood.push_back(std::move(fd));
            if (i % 100 == 99)
                worst_ping = std::max(worst_ping, client->ping());
        }
        QTRY_COMPARE(agent.server->connection_count(), 1 + 8);
        std::string why = refusal(open("127.0.0.2"));
        QVERIFY2(why.find("\"busy\"") != std::string::npos, why.c_str());
        QVERIFY2(why.find("8 connections from 127.0.0.2 are already in their handshake") != std::string::npos,
                 why.c_str());
        for (int i = 1; i <= 100; ++i) {
            Fd fd = open(fmt::format("127.0.1.{}", i).c_str());
            QVERIFY2(fd, strerror(errno));
            flood.push_back(std::move(fd));
        }
        QTRY_COMPARE(agent.server->connection_count(), 64);
        const auto second = AgentClient::connect(agent.url(), kToken);
        AgentEndpointSpec spec;
        const AgentEndpointInfo info = second->create_endpoint(spec);
        QCOMPARE(client->list_endpoints().size(), std::size_t(1));
        client->destroy_endpoint(info.id);
        QTRY_COMPARE(agent.server->connection_count(), 64);
        qInfo("1,000 connections from one address: slowest control ping %.2f ms", worst_ping / 1e6);
        QVERIFY2(worst_ping < 500 * kNanosPerMilli, qPrintable(QString::number(worst_ping)));
        flood.clear();
        QTRY_COMPARE(agent.server->connection_count(), 2);
        QVERIFY(agent.logged("already in their handshake"));
    }

    // When every slot holds an authenticated client, a newcomer is refused with the reason.
    void fullOfAuthenticatedClients() {
        AgentServerConfig c;
        c.max_connections = 2;
        TestAgent agent(kToken, c);
        const auto a = AgentClient::connect(agent.url(), kToken),
                   b = AgentClient::connect(agent.url(), kToken);
        const std::string what = errorOf([&] { AgentClient::connect(agent.url(), kToken); });
        QVERIFY2(what.find("the agent serves at most 2 control connections; try again later") !=
                     std::string::npos,
                 what.c_str());
        QVERIFY(a->ping() > 0 && b->ping() > 0);
    }

    // Without a token every connection is authenticated at its hello, so idle ones once held every
    // slot for good: now, once they have been silent for the handshake time, the one silent longest
    // yields its slot to a newcomer (a client that keeps talking keeps its own).
    void fullWithoutToken() {
        AgentServerConfig c;
        c.max_connections = 3;
        c.auth_timeout = 300 * kNanosPerMilli;
        TestAgent agent({}, c);
        QElapsedTimer t; // started before the oldest said hello: it has been silent at most this long
        t.start();
        const auto oldest = AgentClient::connect(agent.url(), {});
        const auto idle = AgentClient::connect(agent.url(), {});
        const auto talking = AgentClient::connect(agent.url(), {});
        // Silent for less than the handshake time: nobody yields, the newcomer is refused.
        std::string what = errorOf([&] { AgentClient::connect(agent.url(), {}); });
        if (t.elapsed() < 250)
            QVERIFY2(what.find("at most 3 control connections") != std::string::npos, what.c_str());
        while (t.elapsed() < 1000) { // the talking one keeps its slot by talking
            QVERIFY(talking->ping() > 0);
            QTest::qWait(50);
        }
        const auto newcomer = AgentClient::connect(agent.url(), {});
        QVERIFY(newcomer->ping() > 0);
        QVERIFY(talking->ping() > 0);
        QVERIFY(idle->ping() > 0); // the second oldest was not evicted
        what = errorOf([&] { oldest->ping(); });
        QVERIFY2(!what.empty(), "the one silent longest still holds its slot");
        QVERIFY(agent.logged("silent longest"));
    }

    // What a client sends is logged with its control characters escaped: no fake log lines.
    void logEscaped() {
        TestAgent agent;
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        s.write("{\"type\":\"x\\nlatency-pong: agent: forged\\u001b[31m\"}\n");
        QVERIFY(closedByPeer(s));
        QTRY_VERIFY(agent.logged("'x\\x0alatency-pong: agent: forged\\x1b[31m' refused"));
        QVERIFY(!agent.logged("\n"));
    }

    void limits() {
        AgentServerConfig c;
        c.max_endpoints = 2;
        c.max_tasks = 4;
        TestAgent agent({}, c);
        const auto client = AgentClient::connect(agent.url(), "");
        AgentEndpointSpec spec;
        spec.tasks = 5;
        bool lost = true;
        std::string what = errorOf([&] { client->create_endpoint(spec); }, &lost);
        QVERIFY2(what.find("'tasks' must be an integer from 0 to 4") != std::string::npos, what.c_str());
        QVERIFY(!lost);
        spec.tasks = 0;
        spec.transport = Transport::Unix;
        what = errorOf([&] { client->create_endpoint(spec); });
        QVERIFY2(what.find("unix does not cross hosts") != std::string::npos, what.c_str());
        spec.transport = Transport::Tcp;
        client->create_endpoint(spec);
        client->create_endpoint(spec);
        what = errorOf([&] { client->create_endpoint(spec); }, &lost);
        QVERIFY2(what.find("endpoint limit (2) reached") != std::string::npos, what.c_str());
        QVERIFY(!lost);
        spec.bind_host = "192.0.2.254"; // not ours: bind fails with the reason
        client->destroy_endpoint(client->list_endpoints().front().id);
        what = errorOf([&] { client->create_endpoint(spec); });
        QVERIFY2(what.find("192.0.2.254") != std::string::npos, what.c_str());
        QVERIFY(client->ping() > 0);
    }

    void createListDestroy() {
        TestAgent agent;
        auto client = AgentClient::connect(agent.url(), "");
        AgentEndpointSpec tcp, udp;
        udp.transport = Transport::Udp;
        udp.engine = EngineKind::Blocking;
        const AgentEndpointInfo a = client->create_endpoint(tcp);
        const AgentEndpointInfo b = client->create_endpoint(udp);
        QCOMPARE(a.endpoint.host, std::string("127.0.0.1")); // wildcard replaced by the data host
        QVERIFY(a.endpoint.port != 0);
        QCOMPARE(b.endpoint.transport, Transport::Udp);
        QCOMPARE(b.spec.engine, EngineKind::Blocking);
        QCOMPARE(client->list_endpoints().size(), std::size_t(2));
        client->destroy_endpoint(a.id);
        bool lost = true;
        const std::string what = errorOf([&] { client->destroy_endpoint(a.id); }, &lost);
        QVERIFY2(what.find(fmt::format("no endpoint {}", a.id)) != std::string::npos, what.c_str());
        QVERIFY(!lost);
        // Endpoints survive the client: a reconnect finds them.
        client->close();
        QVERIFY(!client->connected());
        client = AgentClient::connect(agent.url(), "", "localhost");
        const auto list = client->list_endpoints();
        QCOMPARE(list.size(), std::size_t(1));
        QCOMPARE(list.front().id, b.id);
        QCOMPARE(list.front().endpoint.host, std::string("localhost"));
        agent.server->stop();
        QCOMPARE(agent.server->endpoint_count(), std::size_t(0));
        lost = false;
        errorOf([&] { client->ping(); }, &lost);
        QVERIFY(lost);
    }

    void measureAgainstEndpoint_data() {
        QTest::addColumn<Transport>("transport");
        QTest::newRow("tcp") << Transport::Tcp;
        QTest::newRow("udp") << Transport::Udp;
    }
    void measureAgainstEndpoint() {
        QFETCH(Transport, transport);
        TestAgent agent(kToken);
        const auto client = AgentClient::connect(agent.url(), kToken);
        AgentEndpointSpec spec;
        spec.transport = transport;
        const AgentEndpointInfo info = client->create_endpoint(spec);
        PingConfig c;
        c.peer = info.endpoint;
        c.duration = kNanosPerSecond;
        c.warmup = 200 * kNanosPerMilli;
        c.interval = 500 * kNanosPerMilli;
        PingSession s(c);
        s.start();
        QElapsedTimer t;
        t.start();
        const SessionOutcome o = drain(s, t, 5000);
        QCOMPARE(o.summaries.size(), std::size_t(1));
        QVERIFY(o.error.empty());
        QVERIFY(o.summaries[0].received > 500);
        QCOMPARE(o.summaries[0].lost, std::uint64_t(0));
        const auto list = client->list_endpoints();
        QCOMPARE(list.size(), std::size_t(1));
        QVERIFY(list[0].stats.bytes >= o.summaries[0].received * 64);
    }

    // A peer that stops answering ends the run within 2 s, whatever the transport, engine and loop,
    // and every interval measured before is delivered.
    void peerLostWithinTwoSeconds_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<EngineKind>("engine");
        QTest::addColumn<bool>("openLoop");
        for (Transport t : {Transport::Tcp, Transport::Udp})
            for (EngineKind e : {EngineKind::Blocking, EngineKind::Asio})
                for (bool open : {false, true})
                    QTest::addRow("%s-%s-%s", to_string(t).data(), to_string(e).data(),
                                  open ? "open" : "closed")
                        << t << e << open;
    }
    void peerLostWithinTwoSeconds() {
        QFETCH(Transport, transport);
        QFETCH(EngineKind, engine);
        QFETCH(bool, openLoop);
        PongConfig pc;
        Endpoint listen;
        listen.transport = transport;
        listen.host = "127.0.0.1";
        pc.listen = {listen};
        const auto pong = start_pong(pc);
        PingConfig c;
        c.peer = pong->endpoints().front();
        c.engine = engine;
        c.open_loop = openLoop;
        c.duration = 0;
        c.warmup = 0;
        c.interval = 250 * kNanosPerMilli;
        PingSession s(c);
        s.start();
        QTest::qWait(800);
        // Silence: datagrams all dropped, stream echoes held far beyond the run.
        pong->set_impairments(transport == Transport::Udp ? 0 : kMaxImpairmentDelay, 0,
                              transport == Transport::Udp ? 100 : 0);
        QElapsedTimer t;
        t.start();
        const SessionOutcome o = drain(s, t, 6000);
        s.stop();
        qInfo("peer lost detected after %lld ms: %s", o.endedMs, o.error.c_str());
        QVERIFY2(o.error.rfind("peer lost: no echo for 1.5 s", 0) == 0, o.error.c_str());
        QVERIFY2(o.endedMs >= 1400 && o.endedMs <= 2000, qPrintable(QString::number(o.endedMs)));
        QVERIFY(o.intervals.size() >= 3);
        QCOMPARE(o.summaries.size(), std::size_t(1));
        std::uint64_t received = 0;
        for (const auto& r : o.intervals)
            received += r.received;
        QCOMPARE(o.summaries[0].received, received);
        QVERIFY(received > 500);
        QCOMPARE(o.summaries[0].sent, o.summaries[0].received + o.summaries[0].lost + o.summaries[0].errors);
    }

    // An agent reached over IPv6 (tcp://[::1]:P) serves its endpoints on IPv6 too, so the ping
    // measures against them (they were bound to 0.0.0.0 and unreachable at [::1]).
    void ipv6Agent() {
        {
            const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_addr = in6addr_loopback;
            const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            if (fd >= 0)
                ::close(fd);
            if (!ok)
                QSKIP("no IPv6 loopback here");
        }
        QProcess agentProcess;
        agentProcess.start(kPong, {"--agent", "--control", "tcp://[::1]:0", "--exit-on-eof"});
        const QString url = waitForAgentUrl(agentProcess);
        QVERIFY2(url.startsWith("tcp://[::1]:"), agentProcess.readAllStandardError().constData());
        for (const QString transport : {"tcp", "udp"}) {
            QProcess ping;
            ping.start(kPing, {"--agent", url, "--transport", transport, "--duration", "500ms", "--warmup",
                               "100ms", "--format", "json"});
            QVERIFY(ping.waitForFinished(15000));
            const QByteArray err = ping.readAllStandardError();
            QVERIFY2(ping.exitCode() == 0, err.constData());
            QVERIFY2(err.contains(QStringLiteral("at %1://[::1]:").arg(transport).toUtf8()), err.constData());
            const QJsonObject summary =
                parseObject(ping.readAllStandardOutput().trimmed().split('\n').last());
            QCOMPARE(summary["type"].toString(), "summary");
            QVERIFY2(summary["received"].toInt() > 0, err.constData());
            QCOMPARE(summary["sent"].toInt(),
                     summary["received"].toInt() + summary["lost"].toInt() + summary["errors"].toInt());
        }
        agentProcess.closeWriteChannel();
        QVERIFY(agentProcess.waitForFinished(3000));
        QCOMPARE(agentProcess.exitCode(), 0);
    }

    void cliAgent() {
        QTemporaryDir dir;
        const QString token = dir.filePath("token"), wrong = dir.filePath("wrong"),
                      open = dir.filePath("open");
        QVERIFY(writeTokenFile(token, QByteArray::fromStdString(kToken)));
        QVERIFY(writeTokenFile(wrong, "not the token, but just as long"));
        QVERIFY(writeTokenFile(open, QByteArray::fromStdString(kToken)));
        QFile(open).setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
        QProcess agentProcess;
        agentProcess.start(
            kPong, {"--agent", "--control", "tcp://127.0.0.1:0", "--token-file", token, "--exit-on-eof"});
        const QString url = waitForAgentUrl(agentProcess);
        QVERIFY2(!url.isEmpty(), agentProcess.readAllStandardError().constData());

        for (const QString transport : {"tcp", "udp"}) {
            QProcess ping;
            QStringList args{"--agent",    url,  "--token-file", token,   "--transport", transport,
                             "--duration", "1s", "--warmup",     "200ms", "--format",    "json"};
            // UDP on a blocking endpoint: the peer's side of the kernel split, asked of the agent.
            if (transport == "udp")
                args << "--engine"
                     << "blocking"
                     << "--kernel-timestamps"
                     << "--interval"
                     << "250ms";
            ping.start(kPing, args);
            QVERIFY(ping.waitForFinished(15000));
            const QByteArray err = ping.readAllStandardError();
            QVERIFY2(ping.exitCode() == 0, err.constData());
            QVERIFY(err.contains("endpoint 1") || err.contains("endpoint 2"));
            const QList<QByteArray> lines = ping.readAllStandardOutput().trimmed().split('\n');
            const QJsonObject summary = parseObject(lines.last());
            QCOMPARE(summary["type"].toString(), "summary");
            QVERIFY(summary["received"].toInt() > 500);
            if (transport == "udp") {
                // Every interval asked the agent once; the summary's residence is theirs added up.
                QCOMPARE(summary["peer_split_available"].toString(), "yes");
                qint64 pong = 0;
                for (const QByteArray& line : lines.mid(0, lines.size() - 1))
                    if (const QJsonObject r = parseObject(line);
                        r["peer_split_available"].toString() == "yes")
                        pong += r["split"].toObject()["pong"].toObject()["count"].toInteger();
                const qint64 total = summary["split"].toObject()["pong"].toObject()["count"].toInteger();
                QVERIFY(total > 0);
                QCOMPARE(pong, total);
                QVERIFY(total <= summary["received"].toInteger() + 1); // + the probe, answered before the run
            }
            QVERIFY(err.contains(QStringLiteral("at %1://127.0.0.1:").arg(transport).toUtf8()));
        }
        // The run's endpoints are gone.
        QCOMPARE(AgentClient::connect(url.toStdString(), kToken)->list_endpoints().size(), std::size_t(0));

        const auto fails = [&](const QStringList& args, const QString& error) {
            QProcess ping;
            ping.start(kPing, args);
            if (!ping.waitForFinished(10000))
                return QStringLiteral("did not end");
            const QString err = QString::fromUtf8(ping.readAllStandardError());
            if (ping.exitCode() == 0 || !err.contains(error))
                return QStringLiteral("exit %1: %2").arg(ping.exitCode()).arg(err);
            return QString();
        };
        QString why = fails({"--agent", url, "--token-file", wrong, "--duration", "1s"}, "wrong token");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        why = fails({"--agent", url, "--token-file", open}, "readable by others");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        why = fails({"--agent", url}, "requires a token");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // An agent without a token (a fake one) is refused by a client that holds one.
        const TestAgent impostor;
        why = fails(
            {"--agent", QString::fromStdString(impostor.url()), "--token-file", token, "--duration", "1s"},
            "asks for no token, but this client holds one: refused");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(impostor.server->endpoint_count(), std::size_t(0));
        why = fails({"--agent", "tcp://127.0.0.1:1", "--duration", "1s"}, "cannot connect");
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // --exit-on-eof: the end of stdin stops the agent.
        agentProcess.closeWriteChannel();
        QVERIFY(agentProcess.waitForFinished(3000));
        QCOMPARE(agentProcess.exitCode(), 0);
        QVERIFY(agentProcess.readAllStandardError().contains("stdin closed"));
    }
};

QTEST_GUILESS_MAIN(TestAgent_)
#include "tst_agent.moc"
