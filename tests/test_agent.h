#pragma once

// What the loopback agent suites share: an in-process agent on a free port with its log kept for
// assertions, raw control-connection helpers, and the message of an AgentError.
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

inline const QString kPing = QStringLiteral(LE_PING_PATH);
inline const QString kPong = QStringLiteral(LE_PONG_PATH);
inline const std::string kToken = "correct horse battery staple";

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
inline QByteArray readLine(QTcpSocket& s, int timeoutMs = 3000) {
    QElapsedTimer t;
    t.start();
    while (!s.canReadLine() && t.elapsed() < timeoutMs && s.state() == QAbstractSocket::ConnectedState)
        s.waitForReadyRead(50);
    return s.canReadLine() ? s.readLine().trimmed() : s.readAll().trimmed();
}

inline QJsonObject parseObject(const QByteArray& line) {
    return QJsonDocument::fromJson(line).object();
}

// Waits until the agent closes the connection.
inline bool closedByPeer(QTcpSocket& s, int timeoutMs = 3000) {
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < timeoutMs) {
        s.waitForReadyRead(50);
        s.readAll();
    }
    return s.state() != QAbstractSocket::ConnectedState;
}

inline std::string errorOf(const std::function<void()>& f, bool* lost = nullptr) {
    try {
        f();
    } catch (const AgentError& e) {
        if (lost)
            *lost = e.lost();
        return e.what();
    }
    return {};
}
