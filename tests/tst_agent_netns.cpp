// The agent on a real second host: a network namespace joined by a veth pair. Measures TCP and UDP
// across it, and the faults: the agent killed mid-run, the wire cut mid-run, a wrong token,
// garbage on the control port. Needs root (skips with the reason otherwise).
#include "agent_test_support.h"
#include "netns_host.h"

#include "agent_client.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace le;

namespace {

const QString kPing = QStringLiteral(LE_PING_PATH);
const QString kPong = QStringLiteral(LE_PONG_PATH);
const QByteArray kToken = "a token only the two ends know";

PingConfig runUntilStopped(const Endpoint& peer) {
    PingConfig c;
    c.peer = peer;
    c.duration = 0;
    c.warmup = 0;
    c.interval = 250 * kNanosPerMilli;
    return c;
}

void checkRecordsKept(const SessionOutcome& o) {
    QVERIFY(o.intervals.size() >= 3);
    QCOMPARE(o.summaries.size(), std::size_t(1));
    std::uint64_t received = 0;
    for (const auto& r : o.intervals)
        received += r.received;
    QVERIFY(received > 300);
    QCOMPARE(o.summaries[0].received, received);
    QCOMPARE(o.summaries[0].sent, o.summaries[0].received + o.summaries[0].lost + o.summaries[0].errors);
}

} // namespace

class TestAgentNetns : public QObject {
    Q_OBJECT

    std::unique_ptr<NetnsHost> m_host;
    QTemporaryDir m_dir;
    QString m_tokenFile;
    QProcess* m_agent = nullptr;
    QString m_url;
    QByteArray m_agentLog;

    // An agent inside the host on its veth address; empty URL on failure.
    QString startAgent(QProcess** process) {
        *process =
            m_host->start(kPong, {"--agent", "--control", QStringLiteral("tcp://%1:0").arg(m_host->address()),
                                  "--token-file", m_tokenFile});
        return waitForAgentUrl(**process);
    }

private slots:
    void initTestCase() {
        NETNS_REQUIRED();
        m_host = std::make_unique<NetnsHost>();
        NETNS_VERIFY(*m_host);
        m_tokenFile = m_dir.filePath("token");
        QVERIFY(writeTokenFile(m_tokenFile, kToken));
        m_url = startAgent(&m_agent);
        QVERIFY2(!m_url.isEmpty(), m_agent->readAllStandardError().constData());
        QVERIFY(m_url.startsWith("tcp://" + m_host->address() + ":"));
    }

    void cleanupTestCase() { m_host.reset(); }

    void hostFactsFromInside() {
        const auto client = AgentClient::connect(m_url.toStdString(), kToken.toStdString());
        QVERIFY(client->host_facts().cores > 0);
        const Nanos rtt = client->ping();
        qInfo("control ping over the veth: %.1f us", rtt / 1e3);
        QVERIFY(rtt < 100 * kNanosPerMilli);
    }

    void measure_data() {
        QTest::addColumn<QString>("transport");
        QTest::newRow("tcp") << "tcp";
        QTest::newRow("udp") << "udp";
    }
    void measure() {
        QFETCH(QString, transport);
        QProcess ping;
        ping.start(kPing, {"--agent", m_url, "--token-file", m_tokenFile, "--transport", transport,
                           "--engine", "asio", "--duration", "2s", "--warmup", "300ms", "--format", "json"});
        QVERIFY(ping.waitForFinished(20000));
        const QByteArray err = ping.readAllStandardError();
        QVERIFY2(ping.exitCode() == 0, err.constData());
        QVERIFY(err.contains(QStringLiteral("at %1://%2:").arg(transport, m_host->address()).toUtf8()));
        const QJsonObject s =
            QJsonDocument::fromJson(ping.readAllStandardOutput().trimmed().split('\n').last()).object();
        QCOMPARE(s["type"].toString(), "summary");
        QVERIFY2(s["received"].toInt() >= 1000,
                 qPrintable(QString::number(s["received"].toInt()))); // 2 s at 1k, under load
        QCOMPARE(s["lost"].toInt(), 0);
        qInfo("%s over the veth: p50 %.1f us, p99 %.1f us, max %.1f us (%d round trips)",
              qPrintable(transport), s["p50_us"].toDouble(), s["p99_us"].toDouble(), s["max_us"].toDouble(),
              s["received"].toInt());
        QVERIFY(s["p50_us"].toDouble() > 0);
        // The run's endpoint is gone again.
        QCOMPARE(AgentClient::connect(m_url.toStdString(), kToken.toStdString())->list_endpoints().size(),
                 std::size_t(0));
    }

    void wrongToken() {
        bool lost = false;
        std::string what;
        try {
            AgentClient::connect(m_url.toStdString(), "a strong token that is the wrong one");
        } catch (const AgentError& e) {
            what = e.what();
            lost = e.lost();
        }
        QVERIFY2(what.find("wrong token") != std::string::npos, what.c_str());
        QVERIFY(lost);
        QTRY_VERIFY((m_agentLog += m_agent->readAllStandardError()).contains("wrong token"));
        QProcess ping; // and the CLI says so
        const QString wrong = m_dir.filePath("wrong");
        QVERIFY(writeTokenFile(wrong, "a strong token that is the wrong one"));
        ping.start(kPing, {"--agent", m_url, "--token-file", wrong});
        QVERIFY(ping.waitForFinished(10000));
        QCOMPARE(ping.exitCode(), 1);
        QVERIFY(ping.readAllStandardError().contains("wrong token"));
    }

    void garbageOnControlPort() {
        const auto client = AgentClient::connect(m_url.toStdString(), kToken.toStdString());
        const Endpoint control = parse_endpoint(m_url.toStdString());
        QTcpSocket s;
        s.connectToHost(QString::fromStdString(control.host), control.port);
        QVERIFY(s.waitForConnected(3000));
        static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 binary junk\n";
        s.write(junk, sizeof junk - 1); // NULs included
        QVERIFY(s.waitForReadyRead(3000));
        const QJsonObject e = QJsonDocument::fromJson(s.readLine()).object();
        QCOMPARE(e["code"].toString(), "bad-message");
        QTRY_VERIFY(s.state() != QAbstractSocket::ConnectedState || (s.waitForReadyRead(50), false));
        QTcpSocket create; // a command without hello
        create.connectToHost(QString::fromStdString(control.host), control.port);
        QVERIFY(create.waitForConnected(3000));
        create.write(R"({"type":"create","id":1,"spec":{}})"
                     "\n");
        QVERIFY(create.waitForReadyRead(3000));
        QCOMPARE(QJsonDocument::fromJson(create.readLine()).object()["code"].toString(), "auth-required");
        QVERIFY(client->ping() > 0);
        QCOMPARE(client->list_endpoints().size(), std::size_t(0));
    }

    void agentKilledMidRun_data() {
        QTest::addColumn<Transport>("transport");
        QTest::newRow("tcp") << Transport::Tcp;
        QTest::newRow("udp") << Transport::Udp;
    }
    void agentKilledMidRun() {
        QFETCH(Transport, transport);
        QProcess* agent = nullptr;
        const QString url = startAgent(&agent);
        QVERIFY(!url.isEmpty());
        const auto client =
            AgentClient::connect(url.toStdString(), kToken.toStdString(), {}, kNanosPerSecond);
        AgentEndpointSpec spec;
        spec.transport = transport;
        PingSession s(runUntilStopped(client->create_endpoint(spec).endpoint));
        s.start();
        QTest::qWait(1000);
        agent->kill();
        QElapsedTimer t;
        t.start();
        const SessionOutcome o = drain(s, t, 6000);
        qInfo("agent killed (%s): run ended after %lld ms: %s", to_string(transport).data(), o.endedMs,
              o.error.c_str());
        QVERIFY2(!o.error.empty(), "the run did not say why it ended");
        QVERIFY2(o.endedMs >= 0 && o.endedMs <= 2000, qPrintable(QString::number(o.endedMs)));
        checkRecordsKept(o);
        bool lost = false;
        try {
            client->ping();
        } catch (const AgentError& e) {
            lost = e.lost();
        }
        QVERIFY(lost);
    }

    void wireCutMidRun_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<bool>("openLoop");
        QTest::newRow("tcp") << Transport::Tcp << false;
        QTest::newRow("udp") << Transport::Udp << false;
        QTest::newRow("tcp-open") << Transport::Tcp << true;
    }
    void wireCutMidRun() {
        QFETCH(Transport, transport);
        QFETCH(bool, openLoop);
        auto client = AgentClient::connect(m_url.toStdString(), kToken.toStdString(), {}, kNanosPerSecond);
        AgentEndpointSpec spec;
        spec.transport = transport;
        const AgentEndpointInfo info = client->create_endpoint(spec);
        PingConfig c = runUntilStopped(info.endpoint);
        c.open_loop = openLoop;
        PingSession s(c);
        s.start();
        QTest::qWait(1000);
        QVERIFY2(m_host->setLinkUp(false), qPrintable(m_host->error()));
        const auto restore = qScopeGuard([&] { m_host->setLinkUp(true); });
        QElapsedTimer t;
        t.start();
        const SessionOutcome o = drain(s, t, 6000);
        qInfo("wire cut (%s%s): run ended after %lld ms: %s", to_string(transport).data(),
              openLoop ? ", open loop" : "", o.endedMs, o.error.c_str());
        QVERIFY2(o.error.rfind("peer lost: no echo for 1.5 s", 0) == 0, o.error.c_str());
        QVERIFY2(o.endedMs >= 0 && o.endedMs <= 2000, qPrintable(QString::number(o.endedMs)));
        checkRecordsKept(o);
        bool lost = false;
        try {
            client->ping();
        } catch (const AgentError& e) {
            lost = e.lost();
        }
        QVERIFY(lost);
        // Wire back: the agent and its endpoint are still there.
        m_host->setLinkUp(true);
        QTest::qWait(200);
        client = AgentClient::connect(m_url.toStdString(), kToken.toStdString());
        client->destroy_endpoint(info.id);
        QCOMPARE(client->list_endpoints().size(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestAgentNetns)
#include "tst_agent_netns.moc"
