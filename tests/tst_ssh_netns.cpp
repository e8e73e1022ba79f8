// "Start over SSH" against a real sshd: its error paths on loopback (each a clear message within
// its bound), and the whole way in a network namespace — ssh starts the agent there, the control
// channel goes through the tunnel, an endpoint binds the namespace's address, a measurement runs
// over the veth, and stopping the launcher leaves no latency-pong behind.
#include "agent_client.h"
#include "agents_panel.h"
#include "main_window.h"
#include "modal_answer.h"
#include "netns_host.h"
#include "own_children.h"
#include "session_bridge.h"
#include "ssh_launcher.h"
#include "sshd_fixture.h"
#include "widget_lookup.h"

#include <QtTest>

#include <QMessageBox>

#include <QApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>

namespace {

int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// Processes in the namespace whose command name is `comm`.
int countIn(NetnsHost& ns, const QString& comm) {
    QString pids;
    ns.ip({"netns", "pids", ns.name()}, &pids);
    int n = 0;
    for (const QString& pid : pids.split('\n', Qt::SkipEmptyParts)) {
        QFile f(QStringLiteral("/proc/%1/comm").arg(pid.trimmed()));
        if (f.open(QIODevice::ReadOnly) && f.readAll().trimmed() == comm.toUtf8())
            ++n;
    }
    return n;
}

// The JSON summary of a short latency-ping run against `url`.
QJsonObject measure(const QString& url) {
    QProcess p;
    p.start(QStringLiteral(LE_PING_PATH),
            {"--peer", url, "--duration", "1s", "--warmup", "200ms", "--rate", "1k", "--format", "json"});
    p.waitForFinished(15000);
    QJsonObject summary;
    for (const QByteArray& line : p.readAllStandardOutput().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value("type").toString() == "summary")
            summary = o;
    }
    return summary;
}

} // namespace

class TestSshNetns : public QObject {
    Q_OBJECT

private slots:
    void errorIsClearAndBounded_data();
    void errorIsClearAndBounded();
    void launchOverSshInNamespace();
    void windowStartsOverSshAndStopsOnClose();
    void silentHostTimesOut();
};

void TestSshNetns::errorIsClearAndBounded_data() {
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("remote"); // with `sshd` rows: the remote latency-pong path
    QTest::addColumn<bool>("sshd");
    QTest::addColumn<bool>("authorised");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<int>("boundMs");
    // TEST-NET-1 is never routed: ssh gives up after ConnectTimeout (2 s), or at once if no route.
    QTest::newRow("unreachable") << "192.0.2.1"
                                 << "ssh"
                                 << "latency-pong" << false << true << "cannot reach 192.0.2.1" << 6000;
    QTest::newRow("unresolvable") << "no-such-host.invalid"
                                  << "ssh"
                                  << "latency-pong" << false << true << "cannot resolve the host name"
                                  << 6000;
    QTest::newRow("no ssh") << "localhost"
                            << "/nonexistent/ssh"
                            << "latency-pong" << false << true << "cannot run '/nonexistent/ssh'" << 2000;
    QTest::newRow("option as host") << "-oProxyCommand=touch /tmp/x"
                                    << "ssh"
                                    << "latency-pong" << false << true << "is not a host name" << 1000;
    QTest::newRow("wrong key") << ""
                               << "ssh"
                               << "latency-pong" << true << false << "authentication failed" << 8000;
    QTest::newRow("no such remote program")
        << ""
        << "ssh"
        << "/nonexistent/latency-pong" << true << true << "cannot be started on" << 8000;
    QTest::newRow("no agent mode") << ""
                                   << "ssh"
                                   << "/bin/ls" << true << true << "has no agent mode" << 8000;
}

void TestSshNetns::errorIsClearAndBounded() {
    QFETCH(QString, host);
    QFETCH(QString, program);
    QFETCH(QString, remote);
    QFETCH(bool, sshd);
    QFETCH(bool, authorised);
    QFETCH(QString, expected);
    QFETCH(int, boundMs);
    SshdFixture server;
    le::SshLaunchOptions o;
    if (sshd) {
        if (!SshdFixture::available())
            QSKIP("needs /usr/sbin/sshd (openssh-server)");
        if (!SshdFixture::isRoot())
            QSKIP("needs root: sshd logs in as root with a generated key");
        const QString e = server.start(QStringLiteral("127.0.0.1"), freePort());
        QVERIFY2(e.isEmpty(), qPrintable(e));
        o = server.options(remote, authorised);
    } else {
        o.host = host.toStdString();
        o.extra_options = {
            "-o", "ConnectTimeout=2", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"};
    }
    o.ssh_program = program.toStdString();
    QElapsedTimer t;
    t.start();
    le::SshLauncher launcher(o);
    QString message;
    try {
        launcher.start();
    } catch (const le::SshError& e) {
        message = QString::fromStdString(e.what());
    }
    qInfo("%s (%lld ms)", qPrintable(message), t.elapsed());
    QVERIFY2(message.contains(expected), qPrintable(message));
    QVERIFY2(t.elapsed() < boundMs, qPrintable(QString::number(t.elapsed())));
    QVERIFY(!launcher.running());
}

void TestSshNetns::launchOverSshInNamespace() {
    NETNS_REQUIRED();
    if (!SshdFixture::available())
        QSKIP("needs /usr/sbin/sshd (openssh-server)");
    NetnsHost ns;
    NETNS_VERIFY(ns);
    SshdFixture server;
    const QString e = server.start(ns.address(), 22, ns.name());
    QVERIFY2(e.isEmpty(), qPrintable(e));

    le::SshLauncher launcher(server.options(QStringLiteral(LE_PONG_PATH)));
    QElapsedTimer t;
    t.start();
    try {
        launcher.start();
    } catch (const std::exception& x) {
        QFAIL(qPrintable(QString::fromStdString(x.what()) + "\n" + server.log()));
    }
    qInfo("agent up over ssh in %lld ms", t.elapsed());
    QVERIFY(launcher.running());
    QCOMPARE(QString::fromStdString(launcher.data_host()), ns.address());
    QCOMPARE(countIn(ns, "latency-pong"), 1);

    // The agent asks for the token made for this launch: without it, nobody on that host gets in.
    QCOMPARE(launcher.token().size(), std::size_t(64));
    bool refused = false;
    try {
        le::AgentClient::connect(launcher.control_url(), "", launcher.data_host());
    } catch (const le::AgentError& x) {
        refused = QString::fromStdString(x.what()).contains("token");
    }
    QVERIFY(refused);
    auto client = le::AgentClient::connect(launcher.control_url(), launcher.token(), launcher.data_host());
    QVERIFY(!client->host_facts().hostname.empty());
    QVERIFY(client->host_facts().cores > 0);
    le::AgentEndpointSpec spec;
    spec.engine = le::EngineKind::Blocking;
    const le::AgentEndpointInfo info = client->create_endpoint(spec);
    QCOMPARE(QString::fromStdString(info.endpoint.host), ns.address());
    QVERIFY(info.endpoint.port != 0);

    // The data plane goes straight over the veth, not through ssh.
    const QJsonObject summary = measure(QString::fromStdString(info.endpoint.url()));
    QVERIFY2(summary.value("received").toDouble() > 100, qPrintable(QJsonDocument(summary).toJson()));
    QCOMPARE(summary.value("lost").toDouble(), 0.0);
    const double p50 = summary.value("p50_us").toDouble();
    QVERIFY(p50 > 0 && p50 < 10000);
    qInfo("p50 over the veth: %.1f us", p50);

    client->close();
    t.restart();
    launcher.stop();
    qInfo("stopped in %lld ms", t.elapsed());
    QVERIFY(!launcher.running());
    QTRY_COMPARE_WITH_TIMEOUT(countIn(ns, "latency-pong"), 0, 3000);
}

void TestSshNetns::windowStartsOverSshAndStopsOnClose() {
    NETNS_REQUIRED();
    if (!SshdFixture::available())
        QSKIP("needs /usr/sbin/sshd (openssh-server)");
    NetnsHost ns;
    NETNS_VERIFY(ns);
    SshdFixture server;
    const QString e = server.start(ns.address(), 22, ns.name());
    QVERIFY2(e.isEmpty(), qPrintable(e));

    {
        WindowOptions options;
        options.autoStart = false;
        options.engine = le::EngineKind::Blocking;
        MainWindow w(options);
        w.show();
        AgentsPanel& panel = *child<AgentsPanel>(&w, "agentsPanel");
        auto* table = child<QTableWidget>(&panel, "endpointTable");
        auto* measureButton = child<QPushButton>(&panel, "measureButton");
        auto* reconnectButton = child<QPushButton>(&panel, "reconnectButton");
        AgentTarget target;
        target.host = ns.address();
        target.ssh = server.options(QStringLiteral(LE_PONG_PATH));
        AgentConnection* agent = panel.addAgent(target);
        QTRY_COMPARE_WITH_TIMEOUT(agent->state(), AgentConnection::State::Connected, 15000);
        QVERIFY(agent->viaSsh());
        QVERIFY(child<QLabel>(&panel, "factsLabel")
                    ->text()
                    .contains(QString::fromStdString(agent->facts().hostname)));
        QTRY_VERIFY_WITH_TIMEOUT(agent->pingMs() > 0, 3000);
        le::AgentEndpointSpec spec;
        spec.transport = le::Transport::Udp;
        agent->createEndpoint(spec);
        QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 1, 5000);
        QVERIFY(table->item(0, 0)->text().startsWith("udp://" + ns.address() + ":"));
        // Measure against it: the data goes straight to the namespace's address.
        QVERIFY(measureButton->isEnabled());
        QTest::mouseClick(measureButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
        QCOMPARE(QString::fromStdString(w.bridge()->config().peer->host), ns.address());
        QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 10, 5000);
        QVERIFY(w.bridge()->history()->intervals().back().received > 0);
        QCOMPARE(countIn(ns, "latency-pong"), 1);

        // ssh dies (killed, connection dropped): the agent shows as lost and so does the run; the
        // remote agent exits on EOF; Reconnect starts both again.
        const QList<qint64> ssh = ownChildren("ssh"); // the connection's ssh, the test's only one
        QCOMPARE(ssh.size(), 1);
        const qint64 firstSsh = ssh.front();
        QVERIFY(firstSsh > 0);
        QElapsedTimer t;
        t.start();
        ::kill(pid_t(firstSsh), SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(agent->state(), AgentConnection::State::Lost, 2000);
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Lost, 2000);
        qInfo("ssh killed: lost after %lld ms (%s)", t.elapsed(), qPrintable(agent->stateText()));
        QVERIFY(t.elapsed() < 2000);
        QTRY_COMPARE_WITH_TIMEOUT(countIn(ns, "latency-pong"), 0, 3000);
        const std::size_t kept = w.bridge()->history()->intervals().size();
        QVERIFY(kept >= 10);
        QVERIFY(reconnectButton->isEnabled());
        QTest::mouseClick(reconnectButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(agent->state(), AgentConnection::State::Connected, 15000);
        QCOMPARE(ownChildren("ssh").size(), 1);
        QVERIFY(ownChildren("ssh").front() != firstSsh);
        QCOMPARE(countIn(ns, "latency-pong"), 1);
        QVERIFY(w.bridge()->history()->intervals().size() >= kept);
        answerNextModal([](QWidget* m) { // the quit prompt: the run was not saved
            if (auto* box = qobject_cast<QMessageBox*>(m))
                box->button(QMessageBox::Discard)->click();
        });
        w.close(); // the window stops what it started over ssh
    }
    QTRY_COMPARE_WITH_TIMEOUT(countIn(ns, "latency-pong"), 0, 3000);
}

void TestSshNetns::silentHostTimesOut() {
    NETNS_REQUIRED();
    // A host that exists but does not answer (its wire cut): ssh gives up after ConnectTimeout.
    NetnsHost ns;
    NETNS_VERIFY(ns);
    QVERIFY(ns.setLinkUp(false));
    le::SshLaunchOptions o;
    o.host = ns.address().toStdString();
    o.extra_options = {"-o", "ConnectTimeout=2", "-o", "UserKnownHostsFile=/dev/null"};
    le::SshLauncher launcher(o);
    QElapsedTimer t;
    t.start();
    QString message;
    try {
        launcher.start();
    } catch (const le::SshError& e) {
        message = QString::fromStdString(e.what());
    }
    qInfo("%s (%lld ms)", qPrintable(message), t.elapsed());
    QVERIFY2(message.startsWith("ssh cannot reach " + ns.address()), qPrintable(message));
    QVERIFY(t.elapsed() >= 1500 && t.elapsed() < 5000);

    // Closing the window while ssh still tries: it gives up at once instead of holding the window.
    AgentsPanel panel;
    AgentTarget target;
    target.host = ns.address();
    target.ssh = o;
    target.ssh->extra_options = {"-o", "ConnectTimeout=10", "-o", "UserKnownHostsFile=/dev/null"};
    AgentConnection* agent = panel.addAgent(target);
    QTest::qWait(500);
    QCOMPARE(agent->state(), AgentConnection::State::Connecting);
    QVERIFY(child<QLabel>(&panel, "stateLabel")->text().contains("ssh"));
    t.restart();
    panel.shutdown();
    qInfo("shut down during an ssh start in %lld ms", t.elapsed());
    QVERIFY(t.elapsed() < 1500);
}

int main(int argc, char** argv) {
    // The window saves its settings on close: not into the user's.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    TestSshNetns t;
    return QTest::qExec(&t, argc, argv);
}
#include "tst_ssh_netns.moc"
