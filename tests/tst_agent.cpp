// The agent on loopback (no root needed): the protocol's parser, the challenge-response, every
// refusal with its reason on both ends, limits, 1,000 connections beside a working client,
// endpoints created, measured against and destroyed, peer-lost detection, and the CLI.
#include "agent_test_support.h"

#include "agent_auth.h"
#include "agent_client.h"
#include "agent_protocol.h"
#include "agent_server.h"
#include "impairments.h"
#include "pong_server.h"
#include "socket.h"

#include <fmt/format.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace le;

namespace {

const QString kPing = QStringLiteral(LE_PING_PATH);
const QString kPong = QStringLiteral(LE_PONG_PATH);
const std::string kToken = "correct horse battery staple";

// An in-process agent on a free loopback port, with its log kept for assertions.
struct TestAgent {
    explicit TestAgent(std::string token = {}, AgentServerConfig config = {}) {
        config.host = "127.0.0.1";
        config.port = 0;
        config.token = std::move(token);
        config.version = "test-agent";
        config.log = [this](const std::string& line) {
            std::lock_guard lock(m_mutex);
            m_log.push_back(line);
        };
        server = AgentServer::start(config);
    }
    std::string url() const { return server->control().url(); }
    quint16 port() const { return server->control().port; }
    bool logged(const std::string& text) const {
        std::lock_guard lock(m_mutex);
        for (const auto& l : m_log)
            if (l.find(text) != std::string::npos)
                return true;
        return false;
    }
    std::unique_ptr<AgentServer> server;

private:
    mutable std::mutex m_mutex;
    std::vector<std::string> m_log;
};

// One line from a raw control connection (empty on timeout or close).
QByteArray readLine(QTcpSocket& s, int timeoutMs = 3000) {
    QElapsedTimer t;
    t.start();
    while (!s.canReadLine() && t.elapsed() < timeoutMs && s.state() == QAbstractSocket::ConnectedState)
        s.waitForReadyRead(50);
    return s.canReadLine() ? s.readLine().trimmed() : s.readAll().trimmed();
}

QJsonObject parseObject(const QByteArray& line) {
    return QJsonDocument::fromJson(line).object();
}

// Waits until the agent closes the connection.
bool closedByPeer(QTcpSocket& s, int timeoutMs = 3000) {
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < timeoutMs) {
        s.waitForReadyRead(50);
        s.readAll();
    }
    return s.state() != QAbstractSocket::ConnectedState;
}

std::string errorOf(const std::function<void()>& f, bool* lost = nullptr) {
    try {
        f();
    } catch (const AgentError& e) {
        if (lost)
            *lost = e.lost();
        return e.what();
    }
    return {};
}

} // namespace

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

    void parserNeverAccepts_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("error");
        QTest::newRow("empty") << QByteArray() << "not JSON";
        QTest::newRow("garbage") << QByteArray("garbage \x01\xff") << "not JSON";
        QTest::newRow("array") << QByteArray("[1,2]") << "expected a JSON object";
        QTest::newRow("no-type") << QByteArray(R"({"id":1})") << "no \"type\"";
        QTest::newRow("type-number") << QByteArray(R"({"type":7})") << "no \"type\"";
        QTest::newRow("negative-id") << QByteArray(R"({"type":"ping","id":-1})") << "non-negative";
        QTest::newRow("deep") << QByteArray(10'000, '[') << "nests deeper";
        QTest::newRow("oversized") << QByteArray(R"({"type":")") + QByteArray(70'000, 'a') + "\"}"
                                   << "longer than";
        QTest::newRow("bad-utf8") << QByteArray("{\"type\":\"\xc3\x28\"}") << "not JSON";
    }
    void parserNeverAccepts() {
        QFETCH(QByteArray, line);
        QFETCH(QString, error);
        const AgentParseResult r = parse_agent_message(std::string_view(line.constData(), line.size()));
        QVERIFY(!r.message);
        QVERIFY2(QString::fromStdString(r.error).contains(error), r.error.c_str());
    }

    void parserReadsMessages() {
        const AgentParseResult r = parse_agent_message(R"({"type":"create","id":42,"spec":{}})"
                                                       "\r");
        QVERIFY2(r.message, r.error.c_str());
        QCOMPARE(r.message->type, std::string("create"));
        QCOMPARE(r.message->id, 42);
        AgentEndpointSpec spec;
        spec.transport = Transport::Udp;
        spec.engine = EngineKind::Spin;
        spec.port = 4321;
        spec.tasks = 7;
        spec.delay = 3 * kNanosPerMilli;
        spec.loss_percent = 12.5;
        const AgentEndpointSpec back = endpoint_spec_from_json(endpoint_spec_to_json(spec));
        QCOMPARE(back.transport, spec.transport);
        QCOMPARE(back.engine, spec.engine);
        QCOMPARE(back.port, spec.port);
        QCOMPARE(back.tasks, 7);
        QCOMPARE(back.delay, spec.delay);
        QCOMPARE(back.loss_percent, 12.5);
        nlohmann::json bad = endpoint_spec_to_json(spec);
        bad["tasks"] = 5000;
        QVERIFY_THROWS_EXCEPTION(AgentProtocolError, endpoint_spec_from_json(bad, 1000));
        bad = endpoint_spec_to_json(spec);
        bad["transport"] = "unix";
        QVERIFY_THROWS_EXCEPTION(AgentProtocolError, endpoint_spec_from_json(bad));
    }

    void proofsAreMutualAndFresh() {
        const std::string a = random_nonce(), b = random_nonce();
        QVERIFY(is_nonce(a));
        QVERIFY(a != b);
        const std::string agent = agent_proof(kToken, a, b), client = client_proof(kToken, b, a);
        QCOMPARE(agent.size(), std::size_t(64));
        QVERIFY(agent != client); // labelled: one side's proof is no answer for the other
        QVERIFY(proofs_equal(client, client_proof(kToken, b, a)));
        QVERIFY(!proofs_equal(client, client_proof("other", b, a)));
        QVERIFY(!proofs_equal(client, client.substr(1)));
        // RFC 4231 test case 2.
        QCOMPARE(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
                 std::string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }

    void helloGivesHostFacts() {
        TestAgent agent;
        const auto client = AgentClient::connect(agent.url(), "");
        char name[256] = {};
        gethostname(name, sizeof name - 1);
        QCOMPARE(client->host_facts().hostname, std::string(name));
        QCOMPARE(client->host_facts().protocol, kAgentProtocol);
        QCOMPARE(client->host_facts().agent_version, std::string("test-agent"));
        QCOMPARE(client->host_facts().cores, int(std::thread::hardware_concurrency()));
        QVERIFY(client->host_facts().kernel.rfind("Linux ", 0) == 0);
        QVERIFY(client->ping() > 0);
        QVERIFY(client->connected());
    }

    void versionMismatchRefused() {
        TestAgent agent;
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        s.write(R"({"type":"hello","protocol":2,"nonce":"x"})"
                "\n");
        const QJsonObject e = parseObject(readLine(s));
        QCOMPARE(e["type"].toString(), "error");
        QCOMPARE(e["code"].toString(), "version");
        QVERIFY(e["message"].toString().contains("protocol 1, the client 2"));
        QVERIFY(closedByPeer(s));
        QVERIFY(agent.logged("protocol 1, the client 2"));
    }

    void authentication_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("error");
        QTest::newRow("right") << QString::fromStdString(kToken) << QString();
        QTest::newRow("wrong") << "not the token"
                               << "wrong token";
        QTest::newRow("none") << QString() << "requires a token";
    }
    void authentication() {
        QFETCH(QString, token);
        QFETCH(QString, error);
        TestAgent agent(kToken);
        bool lost = false;
        const std::string what =
            errorOf([&] { AgentClient::connect(agent.url(), token.toStdString())->ping(); }, &lost);
        if (error.isEmpty()) {
            QVERIFY2(what.empty(), what.c_str());
            QTRY_VERIFY(agent.logged("authenticated"));
        } else {
            QVERIFY2(QString::fromStdString(what).contains(error), what.c_str());
            QVERIFY(lost);
        }
        if (error == "wrong token") // the agent says so too
            QTRY_VERIFY(agent.logged("wrong token"));
    }

    // A fake agent that does not know the token cannot pass itself off as the agent, and learns no
    // proof from the client.
    void fakeAgentUnmasked() {
        const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        QCOMPARE(::listen(listener, 1), 0);
        socklen_t len = sizeof addr;
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
        std::string received;
        std::thread fake([&] {
            const int c = ::accept(listener, nullptr, nullptr);
            char buf[4096];
            ::recv(c, buf, sizeof buf, 0);
            const std::string hello = encode_agent_message({{"type", "hello"},
                                                            {"protocol", kAgentProtocol},
                                                            {"auth", "hmac-sha256"},
                                                            {"challenge", random_nonce()},
                                                            {"proof", random_nonce()}});
            ::send(c, hello.data(), hello.size(), MSG_NOSIGNAL);
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            received.assign(buf, n > 0 ? std::size_t(n) : 0);
            ::close(c);
        });
        const std::string what = errorOf(
            [&] { AgentClient::connect(fmt::format("tcp://127.0.0.1:{}", ntohs(addr.sin_port)), kToken); });
        fake.join();
        ::close(listener);
        QVERIFY2(what.find("wrong token") != std::string::npos, what.c_str());
        QVERIFY2(received.find(R"("response":"")") != std::string::npos, received.c_str());
    }

    void nonLoopbackNeedsToken() {
        AgentServerConfig c;
        c.host = "0.0.0.0";
        c.port = 0;
        try {
            AgentServer::start(c);
            QFAIL("an agent on 0.0.0.0 without a token started");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("without a token") != std::string::npos);
        }
        QProcess p;
        p.start(kPong, {"--agent", "--control", "tcp://0.0.0.0:0"});
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("without a token"));
        c.token = kToken; // with one it starts
        QVERIFY(AgentServer::start(c)->control().port != 0);
    }

    void unauthenticatedCommandsRefused_data() {
        QTest::addColumn<bool>("withToken");
        QTest::addColumn<bool>("helloFirst");
        QTest::addColumn<QByteArray>("command");
        const QByteArray create = R"({"type":"create","id":1,"spec":{"transport":"tcp"}})";
        QTest::newRow("create-no-hello") << false << false << create;
        QTest::newRow("list-no-hello") << true << false << QByteArray(R"({"type":"list","id":1})");
        QTest::newRow("create-no-auth") << true << true << create;
        QTest::newRow("ping-no-auth") << true << true << QByteArray(R"({"type":"ping","id":1})");
    }
    void unauthenticatedCommandsRefused() {
        QFETCH(bool, withToken);
        QFETCH(bool, helloFirst);
        QFETCH(QByteArray, command);
        TestAgent agent(withToken ? kToken : "");
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        if (helloFirst) {
            s.write(QByteArray(R"({"type":"hello","protocol":1,"nonce":")") + QByteArray(64, 'a') + "\"}\n");
            QCOMPARE(parseObject(readLine(s))["auth"].toString(), "hmac-sha256");
        }
        s.write(command + "\n");
        const QJsonObject e = parseObject(readLine(s));
        QCOMPARE(e["code"].toString(), "auth-required");
        QVERIFY(e["message"].toString().contains("not authenticated"));
        QVERIFY(closedByPeer(s));
        QCOMPARE(agent.server->endpoint_count(), std::size_t(0));
    }

    void garbageAndOversizedLines() {
        TestAgent agent;
        // Before hello: refused and closed.
        QTcpSocket g;
        g.connectToHost("127.0.0.1", agent.port());
        QVERIFY(g.waitForConnected(3000));
        g.write("\x16\x03\x01 GET / HTTP/1.1\r\n");
        QCOMPARE(parseObject(readLine(g))["code"].toString(), "bad-message");
        QVERIFY(closedByPeer(g));
        // A line without end: refused once it passes the limit.
        QTcpSocket big;
        big.connectToHost("127.0.0.1", agent.port());
        QVERIFY(big.waitForConnected(3000));
        big.write(QByteArray(100'000, 'x'));
        const QJsonObject e = parseObject(readLine(big));
        QVERIFY(e["message"].toString().contains("longer than the limit of 65536 bytes"));
        QVERIFY(closedByPeer(big));
        // After authentication garbage is answered, and the connection goes on.
        const auto client = AgentClient::connect(agent.url(), "");
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        s.write(R"({"type":"hello","protocol":1})"
                "\n");
        readLine(s);
        QCOMPARE(parseObject(readLine(s))["type"].toString(), "welcome");
        s.write("{{{ not json\n");
        QCOMPARE(parseObject(readLine(s))["code"].toString(), "bad-message");
        s.write(R"({"type":"launch-missiles","id":3})"
                "\n");
        const QJsonObject unknown = parseObject(readLine(s));
        QVERIFY(unknown["message"].toString().contains("unknown request"));
        QCOMPARE(unknown["id"].toInt(), 3);
        s.write(R"({"type":"ping","id":4})"
                "\n");
        QCOMPARE(parseObject(readLine(s))["type"].toString(), "pong");
        QVERIFY(client->ping() > 0);
    }

    void unauthenticatedDeadline() {
        AgentServerConfig c;
        c.auth_timeout = kNanosPerSecond;
        TestAgent agent({}, c);
        QTcpSocket s;
        s.connectToHost("127.0.0.1", agent.port());
        QVERIFY(s.waitForConnected(3000));
        QElapsedTimer t;
        t.start();
        const QJsonObject e = parseObject(readLine(s, 4000));
        QCOMPARE(e["code"].toString(), "timeout");
        QVERIFY(e["message"].toString().contains("no hello within 1 s"));
        QVERIFY2(t.elapsed() >= 900 && t.elapsed() < 2500, qPrintable(QString::number(t.elapsed())));
        QVERIFY(closedByPeer(s));
    }

    // 1,000 connections held open (half-open: they never say hello) while an authenticated client
    // keeps being served; over the cap they are refused at once with a reason.
    void thousandConnections() {
        AgentServerConfig c;
        c.max_connections = 64;
        TestAgent agent(kToken, c);
        const auto client = AgentClient::connect(agent.url(), kToken);
        const auto open = [&] {
            Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addr.sin_port = htons(agent.port());
            if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
                fd.reset();
            return fd;
        };
        std::vector<Fd> flood;
        Nanos worst_ping = 0;
        for (int i = 0; i < 1000; ++i) {
            Fd fd = open();
            QVERIFY2(fd, strerror(errno));
            if (i % 3 == 0)
                ::send(fd.get(), "{\"type\":\"hel", 12, MSG_NOSIGNAL); // half a line, never finished
            flood.push_back(std::move(fd));
            if (i % 100 == 99)
                worst_ping = std::max(worst_ping, client->ping());
        }
        QTRY_COMPARE(agent.server->connection_count(), 64);
        // Over the cap, a newcomer is told why at once.
        for (int i = 0; i < 5; ++i) {
            Fd fd = open();
            set_recv_timeout(fd.get(), 2 * kNanosPerSecond);
            char buffer[512] = {};
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer - 1, 0);
            QVERIFY2(n > 0 && std::string_view(buffer).find("\"busy\"") != std::string_view::npos, buffer);
            QVERIFY(std::string_view(buffer).find("at most 64 control connections") !=
                    std::string_view::npos);
        }
        AgentEndpointSpec spec;
        const AgentEndpointInfo info = client->create_endpoint(spec);
        QCOMPARE(client->list_endpoints().size(), std::size_t(1));
        client->destroy_endpoint(info.id);
        qInfo("1,000 connections held: slowest control ping %.2f ms", worst_ping / 1e6);
        QVERIFY2(worst_ping < 500 * kNanosPerMilli, qPrintable(QString::number(worst_ping)));
        flood.clear();
        QTRY_COMPARE(agent.server->connection_count(), 1);
        QVERIFY(agent.logged("over the limit of 64"));
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

    void cliAgent() {
        QTemporaryDir dir;
        const QString token = dir.filePath("token"), wrong = dir.filePath("wrong"),
                      open = dir.filePath("open");
        QVERIFY(writeTokenFile(token, QByteArray::fromStdString(kToken)));
        QVERIFY(writeTokenFile(wrong, "nope"));
        QVERIFY(writeTokenFile(open, "x"));
        QFile(open).setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
        QProcess agentProcess;
        agentProcess.start(
            kPong, {"--agent", "--control", "tcp://127.0.0.1:0", "--token-file", token, "--exit-on-eof"});
        const QString url = waitForAgentUrl(agentProcess);
        QVERIFY2(!url.isEmpty(), agentProcess.readAllStandardError().constData());

        for (const QString transport : {"tcp", "udp"}) {
            QProcess ping;
            ping.start(kPing, {"--agent", url, "--token-file", token, "--transport", transport, "--duration",
                               "1s", "--warmup", "200ms", "--format", "json"});
            QVERIFY(ping.waitForFinished(15000));
            const QByteArray err = ping.readAllStandardError();
            QVERIFY2(ping.exitCode() == 0, err.constData());
            QVERIFY(err.contains("endpoint 1") || err.contains("endpoint 2"));
            const QList<QByteArray> lines = ping.readAllStandardOutput().trimmed().split('\n');
            const QJsonObject summary = parseObject(lines.last());
            QCOMPARE(summary["type"].toString(), "summary");
            QVERIFY(summary["received"].toInt() > 500);
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
