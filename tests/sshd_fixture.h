#pragma once
// A real OpenSSH server for tests: generated host and client keys in a temporary directory, its
// own config (key-only login, forwarding allowed), optionally inside a network namespace. The
// client side of a test uses sshOptions() with ssh's own client.

#include "ssh_launcher.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

class SshdFixture {
public:
    static constexpr const char* kSshd = "/usr/sbin/sshd";

    static bool isRoot() { return ::geteuid() == 0; }
    static bool available() { return QFile::exists(QString::fromLatin1(kSshd)); }

    // Generates the keys and config; listenAddress "127.0.0.1" or the namespace's address.
    // netns: run sshd inside it (`ip netns exec`). Returns an empty string or what went wrong.
    QString start(const QString& listenAddress, int port, const QString& netns = {}) {
        if (!m_dir.isValid())
            return QStringLiteral("no temporary directory");
        m_address = listenAddress;
        m_port = port;
        for (const char* key : {"host_key", "client_key", "other_key"}) {
            QProcess gen;
            gen.start(QStringLiteral("ssh-keygen"),
                      {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                       QStringLiteral("-N"), QString(), QStringLiteral("-f"), path(key)});
            if (!gen.waitForFinished(10000) || gen.exitCode() != 0)
                return QStringLiteral("ssh-keygen failed: %1")
                    .arg(QString::fromLocal8Bit(gen.readAllStandardError()));
        }
        QFile::copy(path("client_key.pub"), path("authorized_keys"));
        QFile config(path("sshd_config"));
        if (!config.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write sshd_config");
        config.write(QStringLiteral("ListenAddress %1:%2\n"
                                    "HostKey %3\n"
                                    "AuthorizedKeysFile %4\n"
                                    "PidFile %5\n"
                                    "PermitRootLogin prohibit-password\n"
                                    "StrictModes no\n"
                                    "UsePAM no\n"
                                    "PasswordAuthentication no\n"
                                    "KbdInteractiveAuthentication no\n"
                                    "AllowTcpForwarding yes\n")
                         .arg(listenAddress)
                         .arg(port)
                         .arg(path("host_key"), path("authorized_keys"), path("sshd.pid"))
                         .toUtf8());
        config.close();
        QDir().mkpath(QStringLiteral("/run/sshd")); // privilege separation directory sshd insists on
        QStringList args{QString::fromLatin1(kSshd), QStringLiteral("-D"), QStringLiteral("-e"),
                         QStringLiteral("-f"), path("sshd_config")};
        if (!netns.isEmpty())
            args = QStringList{QStringLiteral("netns"), QStringLiteral("exec"), netns} + args;
        m_sshd.setProcessChannelMode(QProcess::MergedChannels);
        const QString program = netns.isEmpty() ? args.takeFirst() : QStringLiteral("ip");
        m_sshd.start(program, args);
        if (!m_sshd.waitForStarted(5000))
            return QStringLiteral("sshd did not start: %1").arg(m_sshd.errorString());
        QElapsedTimer t;
        t.start();
        while (!m_log.contains("Server listening on")) {
            if (m_sshd.state() == QProcess::NotRunning || t.elapsed() > 10000)
                return QStringLiteral("sshd is not listening: %1").arg(QString::fromLocal8Bit(m_log));
            m_sshd.waitForReadyRead(200);
            m_log += m_sshd.readAll();
        }
        return {};
    }

    ~SshdFixture() {
        if (m_sshd.state() != QProcess::NotRunning) {
            m_sshd.terminate();
            if (!m_sshd.waitForFinished(3000))
                m_sshd.kill();
            m_sshd.waitForFinished(3000);
        }
    }

    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    // Launch options reaching this sshd with the authorised key (or another, unauthorised one).
    le::SshLaunchOptions options(const QString& remotePong, bool authorisedKey = true) const {
        le::SshLaunchOptions o;
        o.host = m_address.toStdString();
        o.port = std::uint16_t(m_port);
        o.remote_pong = remotePong.toStdString();
        o.extra_options = {"-i", path(authorisedKey ? "client_key" : "other_key").toStdString(),
                           "-o", "IdentitiesOnly=yes",
                           "-o", "UserKnownHostsFile=" + path("known_hosts").toStdString(),
                           "-o", "StrictHostKeyChecking=accept-new",
                           "-o", "ConnectTimeout=5"};
        o.timeout = 10 * le::kNanosPerSecond;
        return o;
    }

    QString log() {
        m_log += m_sshd.readAll();
        return QString::fromLocal8Bit(m_log);
    }

private:
    QTemporaryDir m_dir;
    QProcess m_sshd;
    QByteArray m_log;
    QString m_address;
    int m_port = 0;
};
