#pragma once

// A second host for tests: a network namespace of its own, joined to this one by a veth pair with
// a /30 of its own (derived from the pid, so parallel test runs do not clash). Programs started
// with start() run inside it; teardown kills them and deletes the namespace even when a test fails
// (the destructor runs on QVERIFY's early return). Needs root and iproute2.

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QTest>

#include <memory>
#include <vector>

#include <csignal>
#include <unistd.h>

class NetnsHost {
public:
    // Why a test cannot have one ("needs root: ...", "needs iproute2: ..."), or true.
    static bool available(QString* why) {
        if (::geteuid() != 0) {
            *why = QStringLiteral("needs root: creates network namespaces and veth pairs (CI runs as root)");
            return false;
        }
        if (QStandardPaths::findExecutable(QStringLiteral("ip")).isEmpty()) {
            *why = QStringLiteral("needs iproute2: the 'ip' command is not on PATH");
            return false;
        }
        return true;
    }

    NetnsHost() {
        static int counter = 0;
        const int n = counter++;
        const qint64 pid = ::getpid();
        m_name = QStringLiteral("le-test-%1-%2").arg(pid).arg(n);
        m_outerIf = QStringLiteral("le%1o%2").arg(pid).arg(n);
        m_innerIf = QStringLiteral("le%1i%2").arg(pid).arg(n);
        // 10.200.0.0/14 cut in /30s: outer .1, inner .2.
        const quint32 block = ((static_cast<quint32>(pid) & 0x3fff) << 2 | (n & 3)) & 0xffff;
        const quint32 base = (10u << 24) | ((200u + (block >> 14)) << 16) | ((block & 0x3fff) << 2);
        const auto dotted = [](quint32 a) {
            return QStringLiteral("%1.%2.%3.%4")
                .arg(a >> 24)
                .arg((a >> 16) & 0xff)
                .arg((a >> 8) & 0xff)
                .arg(a & 0xff);
        };
        m_outerAddr = dotted(base + 1);
        m_innerAddr = dotted(base + 2);
        ip({"netns", "delete", m_name}); // leftovers of a crashed run with the same pid
        ip({"link", "delete", m_outerIf});
        m_ok = ip({"netns", "add", m_name}) &&
               ip({"link", "add", m_outerIf, "type", "veth", "peer", "name", m_innerIf}) &&
               ip({"link", "set", m_innerIf, "netns", m_name}) &&
               ip({"addr", "add", m_outerAddr + "/30", "dev", m_outerIf}) &&
               ip({"link", "set", m_outerIf, "up"}) && inside({"ip", "link", "set", "lo", "up"}) &&
               inside({"ip", "addr", "add", m_innerAddr + "/30", "dev", m_innerIf}) &&
               inside({"ip", "link", "set", m_innerIf, "up"});
    }

    ~NetnsHost() {
        for (auto& p : m_processes) {
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(3000);
            }
        }
        // Anything else still in there (a child of a child).
        QProcess pids;
        pids.start(QStringLiteral("ip"), {"netns", "pids", m_name});
        pids.waitForFinished(3000);
        for (const QByteArray& pid : pids.readAllStandardOutput().split('\n'))
            if (!pid.trimmed().isEmpty())
                ::kill(static_cast<pid_t>(pid.trimmed().toLongLong()), SIGKILL);
        ip({"netns", "delete", m_name});
        ip({"link", "delete", m_outerIf}); // normally gone with its peer
    }

    NetnsHost(const NetnsHost&) = delete;
    NetnsHost& operator=(const NetnsHost&) = delete;

    bool ok() const { return m_ok; }
    QString error() const { return m_error; }
    QString name() const { return m_name; }
    QString address() const { return m_innerAddr; }      // the host's address, as seen from here
    QString outerAddress() const { return m_outerAddr; } // ours, as seen from the host
    QString outerInterface() const { return m_outerIf; }
    QString innerInterface() const { return m_innerIf; }

    // Starts a program inside the namespace; the host owns the process (killed at teardown).
    // `ip netns exec` execs the program, so the QProcess's pid is the program's.
    QProcess* start(const QString& program, const QStringList& args) {
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral("ip"), QStringList{"netns", "exec", m_name, program} + args);
        p->waitForStarted(5000);
        m_processes.push_back(std::move(p));
        return m_processes.back().get();
    }

    // Runs a command inside to the end; false (and error() says why) when it fails.
    bool inside(const QStringList& command, QString* output = nullptr) {
        return run(QStringList{"netns", "exec", m_name} + command, output);
    }
    // `ip ARGS` here (outside); false when it fails.
    bool ip(const QStringList& args, QString* output = nullptr) { return run(args, output); }

    // Cuts or restores the wire (the outer end of the veth).
    bool setLinkUp(bool up) { return ip({"link", "set", m_outerIf, up ? "up" : "down"}); }

private:
    bool run(const QStringList& args, QString* output) {
        QProcess p;
        p.start(QStringLiteral("ip"), args);
        if (!p.waitForFinished(10000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            m_error = QStringLiteral("ip %1: %2")
                          .arg(args.join(' '), QString::fromLocal8Bit(p.readAllStandardError()).trimmed());
            return false;
        }
        if (output)
            *output = QString::fromLocal8Bit(p.readAllStandardOutput());
        return true;
    }

    QString m_name, m_outerIf, m_innerIf, m_outerAddr, m_innerAddr, m_error;
    bool m_ok = false;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

// In a test function (or initTestCase): skips it where no NetnsHost can be had (not root, no
// iproute2); QSKIP returns from the function, so this goes first.
#define NETNS_REQUIRED()                                                                                     \
    do {                                                                                                     \
        QString netnsWhy_;                                                                                   \
        if (!NetnsHost::available(&netnsWhy_))                                                               \
            QSKIP(qPrintable(netnsWhy_));                                                                    \
    } while (false)

// In a test function: fails it (and returns) when `host`, a NetnsHost just made, did not come up.
#define NETNS_VERIFY(host) QVERIFY2((host).ok(), qPrintable((host).error()))
