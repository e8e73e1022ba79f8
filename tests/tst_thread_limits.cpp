// When the system refuses a thread, the request or connection that needed it fails with a clear
// error and the process goes on (no std::terminate): the ping with many compute tasks, a blocking
// pong with many connections, an agent asked for an endpoint with many tasks. Threads are made scarce
// with an address-space limit (no memory for their 8 MiB stacks), which binds root too, unlike
// ulimit -u.
#include "agent_client.h"
#include "agent_test_support.h"
#include "pong_child.h"
#include "sanitizer_build.h"
#include "socket.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <sys/resource.h>
#include <sys/socket.h>

using namespace le;

namespace {

const QString kPing = QStringLiteral(LE_PING_PATH);
const QString kPong = QStringLiteral(LE_PONG_PATH);
constexpr rlim_t kMiB = 1024 * 1024;

void limitAddressSpace(QProcess& p, rlim_t bytes) {
    p.setChildProcessModifier([bytes] {
        const rlimit r{bytes, bytes};
        ::setrlimit(RLIMIT_AS, &r);
    });
}

// One 64-byte round trip on `fd` within a second.
bool echoes(int fd) {
    char out[64] = "are you there?", in[64] = {};
    set_recv_timeout(fd, kNanosPerSecond);
    if (::send(fd, out, sizeof out, MSG_NOSIGNAL) != ssize_t(sizeof out))
        return false;
    std::size_t got = 0;
    while (got < sizeof in) {
        const ssize_t n = ::recv(fd, in + got, sizeof in - got, 0);
        if (n <= 0)
            return false;
        got += std::size_t(n);
    }
    return std::memcmp(in, out, sizeof in) == 0;
}

Endpoint tcpEndpoint(const QString& url) {
    return parse_endpoint(url.toStdString());
}

} // namespace

class TestThreadLimits : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        if (kSanitizerBuild)
            QSKIP("sanitizer build: its runtime reserves terabytes of address space, so RLIMIT_AS cannot "
                  "make threads scarce");
    }

    void pingTasks_data() {
        QTest::addColumn<QString>("engine");
        QTest::newRow("blocking") << "blocking";
        QTest::newRow("spin") << "spin";
    }
    void pingTasks() {
        QFETCH(QString, engine);
        QProcess p;
        limitAddressSpace(p, 300 * kMiB);
        p.start(kPing, {"--tasks", "100", "--engine", engine, "--duration", "500ms", "--warmup", "100ms"});
        QVERIFY(p.waitForFinished(20'000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit); // not std::terminate's SIGABRT
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains("cannot start a thread for compute task ") && err.contains(" of 100: "),
                 err.constData());
    }

    // A live change to more tasks than the system gives threads for: the run goes on, the tasks
    // that started run, and the records say how many (not the count asked for).
    void pingSetTasks_data() { pingTasks_data(); }
    void pingSetTasks() {
        QFETCH(QString, engine);
        QProcess p;
        limitAddressSpace(p, 300 * kMiB);
        p.start(kPing, {"--engine", engine, "--set", "300ms:tasks=100", "--warmup", "100ms", "--duration",
                        "700ms", "--interval", "200ms", "--format", "json"});
        QVERIFY(p.waitForFinished(20'000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("--set 300ms:tasks=100 not applied: tasks 100: only ") &&
                     err.contains("cannot start a thread for compute task "),
                 err.constData());
        const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
        const QJsonObject summary = QJsonDocument::fromJson(lines.last()).object();
        QCOMPARE(summary.value("type").toString(), QStringLiteral("summary"));
        const int running = summary.value("tasks").toInt(-1);
        QVERIFY2(running >= 0 && running < 100, lines.last().constData());
        const QJsonArray changes = summary.value("changes").toArray();
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes[0].toObject().value("key").toString(), QStringLiteral("tasks"));
        QCOMPARE(changes[0].toObject().value("value").toString(), QString::number(running));
    }

    // A connection the blocking pong has no thread for is closed at once; the others are served,
    // and once they close, new ones are again.
    void blockingPongConnections() {
        PongChild pong(kPong);
        limitAddressSpace(pong.proc, 200 * kMiB);
        QString error;
        const QString url = pong.start({"--listen", "tcp://127.0.0.1:0", "--engine", "blocking"}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        std::vector<Fd> clients;
        int served = 0, closed = 0;
        for (int i = 0; i < 60; ++i) {
            clients.push_back(connect_to(tcpEndpoint(url), kNanosPerSecond));
            (echoes(clients.back().get()) ? served : closed)++;
        }
        qInfo("%d connections served, %d closed for want of a thread", served, closed);
        QVERIFY(served > 0);
        QVERIFY(closed > 0);
        QCOMPARE(pong.proc.state(), QProcess::Running);
        QVERIFY(echoes(clients.front().get())); // the first one is still served
        clients.clear();
        QTRY_VERIFY_WITH_TIMEOUT(echoes(connect_to(tcpEndpoint(url), kNanosPerSecond).get()), 5000);
        pong.stop();
        QCOMPARE(pong.proc.exitStatus(), QProcess::NormalExit);
    }

    // An agent asked for more task threads than it can start refuses that one request and keeps
    // serving: the connection, its other endpoints and new requests.
    void agentCreate() {
        QProcess agent;
        limitAddressSpace(agent, 300 * kMiB);
        agent.start(kPong, {"--agent", "--control", "tcp://127.0.0.1:0"});
        const QString url = waitForAgentUrl(agent);
        QVERIFY2(!url.isEmpty(), agent.readAllStandardError().constData());
        const auto client = AgentClient::connect(url.toStdString(), "");
        AgentEndpointSpec small;
        small.engine = EngineKind::Blocking;
        const AgentEndpointInfo first = client->create_endpoint(small);
        AgentEndpointSpec big = small;
        big.tasks = 200;
        try {
            client->create_endpoint(big);
            QFAIL("200 task threads started under a 300 MiB address space");
        } catch (const AgentError& e) {
            QVERIFY2(std::string(e.what()).find("cannot start a thread for compute task ") !=
                         std::string::npos,
                     e.what());
            QVERIFY(!e.lost());
        }
        QCOMPARE(client->list_endpoints().size(), std::size_t(1));
        Fd data = connect_to(first.endpoint, kNanosPerSecond);
        QVERIFY(echoes(data.get()));
        QVERIFY(client->create_endpoint(small).id != first.id);
        QCOMPARE(agent.state(), QProcess::Running);
        agent.kill();
        agent.waitForFinished(3000);
    }
};

QTEST_GUILESS_MAIN(TestThreadLimits)
#include "tst_thread_limits.moc"
