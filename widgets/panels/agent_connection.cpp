#include "agent_connection.h"

#include "qt_string.h"

#include <QMetaObject>

#include <memory>

namespace {

void registerTypes() {
    static const bool once = [] {
        qRegisterMetaType<le::Endpoint>();
        qRegisterMetaType<le::HostFacts>();
        qRegisterMetaType<le::AgentEndpointSpec>();
        qRegisterMetaType<le::AgentEndpointInfo>();
        qRegisterMetaType<QList<le::AgentEndpointInfo>>();
        return true;
    }();
    (void)once;
}

AgentTarget withCancel(AgentTarget t, const std::atomic<bool>* cancel) {
    if (t.ssh)
        t.ssh->cancel = cancel;
    return t;
}

QList<le::AgentEndpointInfo> toList(const std::vector<le::AgentEndpointInfo>& v) {
    return QList<le::AgentEndpointInfo>(v.begin(), v.end());
}

} // namespace

QString AgentTarget::name() const {
    if (ssh)
        return ssh->user.empty() ? QStringLiteral("ssh %1").arg(qs(ssh->host))
                                 : QStringLiteral("ssh %1@%2").arg(qs(ssh->user), qs(ssh->host));
    return host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                           : QStringLiteral("%1:%2").arg(host).arg(port);
}

// Owns the client (and the ssh launcher) and makes every blocking call, on the connection's
// thread. Only it touches them, so they need no locking of their own.
class AgentWorker : public QObject {
    Q_OBJECT
public:
    explicit AgentWorker(AgentTarget target)
        : m_target(std::move(target)) {}
    ~AgentWorker() override { close(); }

    void connectAgent() {
        if (m_client)
            m_client->close();
        m_client.reset();
        std::string url, token, dataHost = m_target.dataHost.trimmed().toStdString();
        if (m_target.ssh) {
            if (!m_launcher || !m_launcher->running()) {
                m_launcher.reset(); // stops what is left of the old one
                auto launcher = std::make_unique<le::SshLauncher>(*m_target.ssh);
                try {
                    launcher->start();
                } catch (const std::exception& e) {
                    emit failed(qs(e.what()), false);
                    return;
                }
                m_launcher = std::move(launcher);
            }
            url = m_launcher->control_url();
            token = m_launcher->token();
            if (dataHost.empty())
                dataHost = m_launcher->data_host();
        } else {
            const QString h = m_target.host.contains(QLatin1Char(':'))
                                  ? QStringLiteral("[%1]").arg(m_target.host)
                                  : m_target.host;
            url = QStringLiteral("tcp://%1:%2").arg(h).arg(m_target.port).toStdString();
            if (!m_target.tokenFile.isEmpty()) {
                try {
                    token = le::read_token_file(m_target.tokenFile.toStdString());
                } catch (const std::exception& e) {
                    emit failed(qs(e.what()), false);
                    return;
                }
            }
        }
        try {
            m_client = le::AgentClient::connect(url, token, dataHost, AgentConnection::kRequestTimeout);
            const auto endpoints = toList(m_client->list_endpoints());
            emit connected(m_client->host_facts(), endpoints, qs(url),
                           m_launcher ? qint64(m_launcher->pid()) : 0);
        } catch (const std::exception& e) {
            m_client.reset();
            const QString what = qs(e.what());
            emit failed(withSshTail(what), what.contains(QLatin1String("token"), Qt::CaseInsensitive));
        }
    }

    void create(const le::AgentEndpointSpec& spec) {
        if (!m_client)
            return;
        try {
            m_client->create_endpoint(spec);
            emit endpoints(toList(m_client->list_endpoints()));
        } catch (const std::exception& e) {
            handle(e, tr("start endpoint"));
        }
    }

    void destroy(int id) {
        if (!m_client)
            return;
        try {
            m_client->destroy_endpoint(id);
            emit endpoints(toList(m_client->list_endpoints()));
        } catch (const std::exception& e) {
            handle(e, tr("stop endpoint"));
        }
    }

    void ping() {
        if (!m_client)
            return;
        if (m_launcher && !m_launcher->running()) {
            dropClient();
            emit lost(qs(m_launcher->exit_reason()));
            return;
        }
        try {
            const le::Nanos rtt = m_client->ping();
            emit pinged(double(rtt) / le::kNanosPerMilli);
        } catch (const std::exception& e) {
            // A ping that gets no answer in time means the agent is gone for us, lost or not.
            dropClient();
            emit lost(withSshTail(qs(e.what())));
        }
    }

    void close() {
        dropClient();
        if (m_launcher)
            m_launcher->stop();
        m_launcher.reset();
    }

signals:
    void connected(const le::HostFacts& facts, const QList<le::AgentEndpointInfo>& endpoints,
                   const QString& controlUrl, qint64 sshPid);
    void failed(const QString& reason, bool wrongToken);
    void lost(const QString& reason);
    void endpoints(const QList<le::AgentEndpointInfo>& list);
    void pinged(double ms);
    void requestFailed(const QString& what, const QString& reason);

private:
    void dropClient() {
        if (m_client)
            m_client->close();
        m_client.reset();
    }

    void handle(const std::exception& e, const QString& what) {
        const auto* agentError = dynamic_cast<const le::AgentError*>(&e);
        if ((agentError && agentError->lost()) || !m_client->connected()) {
            dropClient();
            emit lost(withSshTail(qs(e.what())));
        } else {
            emit requestFailed(what, qs(e.what()));
        }
    }

    // Over ssh, a request that fails because ssh ended says why ssh ended.
    QString withSshTail(const QString& reason) const {
        if (!m_launcher || m_launcher->running())
            return reason;
        return QStringLiteral("%1 (%2)").arg(reason, qs(m_launcher->exit_reason()));
    }

    AgentTarget m_target;
    std::unique_ptr<le::SshLauncher> m_launcher;
    std::unique_ptr<le::AgentClient> m_client;
};

AgentConnection::AgentConnection(AgentTarget target, QObject* parent)
    : QObject(parent)
    , m_target(std::move(target))
    , m_worker(new AgentWorker(withCancel(m_target, &m_cancel))) {
    registerTypes();
    m_thread.setObjectName(QStringLiteral("agent %1").arg(name()));
    m_worker->moveToThread(&m_thread);
    connect(m_worker, &AgentWorker::connected, this, &AgentConnection::onConnected);
    connect(m_worker, &AgentWorker::failed, this, &AgentConnection::onFailed);
    connect(m_worker, &AgentWorker::lost, this, &AgentConnection::onLost);
    connect(m_worker, &AgentWorker::endpoints, this, [this](const QList<le::AgentEndpointInfo>& list) {
        m_endpoints = list;
        emit endpointsChanged();
    });
    connect(m_worker, &AgentWorker::pinged, this, [this](double ms) {
        m_pingPending = false;
        m_pingMs = ms;
        emit pingChanged(ms);
    });
    connect(m_worker, &AgentWorker::requestFailed, this, &AgentConnection::requestFailed);
    m_thread.start();

    m_pingTimer.setInterval(kPingMs);
    connect(&m_pingTimer, &QTimer::timeout, this, &AgentConnection::sendPing);
    reconnect();
}

void AgentConnection::sendPing() {
    if (m_state != State::Connected || m_pingPending)
        return; // one ping at a time: a slow agent does not pile them up
    m_pingPending = true;
    QMetaObject::invokeMethod(m_worker, &AgentWorker::ping, Qt::QueuedConnection);
}

AgentConnection::~AgentConnection() {
    shutdown();
}

void AgentConnection::shutdown() {
    if (m_shutdown)
        return;
    m_shutdown = true;
    m_cancel = true;
    m_pingTimer.stop();
    // After what the worker is doing now (at most a request timeout, or an ssh start), its
    // thread ends; then the worker closes the client and stops ssh (the remote agent exits).
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
    m_worker = nullptr;
}

QString AgentConnection::stateText() const {
    switch (m_state) {
    case State::Connecting:
        return viaSsh() ? tr("starting over ssh…") : tr("connecting…");
    case State::Connected:
        return tr("connected");
    case State::Lost:
        return tr("lost: %1").arg(m_reason);
    case State::WrongToken:
        // The agent's own words usually start with it already.
        return m_reason.startsWith(QLatin1String("wrong token")) ? m_reason
                                                                 : tr("wrong token: %1").arg(m_reason);
    case State::Failed:
        return tr("failed: %1").arg(m_reason);
    }
    return {};
}

bool AgentConnection::hasEndpoint(const le::Endpoint& ep) const {
    for (const auto& e : m_endpoints)
        if (e.endpoint == ep)
            return true;
    return false;
}

void AgentConnection::reconnect() {
    if (m_shutdown || m_state == State::Connected)
        return;
    m_pingPending = false;
    setState(State::Connecting);
    QMetaObject::invokeMethod(m_worker, &AgentWorker::connectAgent, Qt::QueuedConnection);
}

void AgentConnection::createEndpoint(const le::AgentEndpointSpec& spec) {
    if (m_shutdown)
        return;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, spec] { w->create(spec); }, Qt::QueuedConnection);
}

void AgentConnection::destroyEndpoint(int id) {
    if (m_shutdown)
        return;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id] { w->destroy(id); }, Qt::QueuedConnection);
}

void AgentConnection::setState(State s, const QString& reason) {
    m_state = s;
    m_reason = reason;
    emit stateChanged(s, reason);
}

void AgentConnection::onConnected(const le::HostFacts& facts, const QList<le::AgentEndpointInfo>& endpoints,
                                  const QString& controlUrl, qint64 sshPid) {
    if (m_shutdown)
        return;
    m_facts = facts;
    m_endpoints = endpoints;
    m_controlUrl = controlUrl;
    m_sshPid = sshPid;
    m_pingMs = -1;
    setState(State::Connected);
    emit factsChanged();
    emit endpointsChanged();
    m_pingTimer.start();
    sendPing(); // the first round trip now, not in kPingMs
}

void AgentConnection::onFailed(const QString& reason, bool wrongToken) {
    if (m_shutdown)
        return;
    setState(wrongToken ? State::WrongToken : State::Failed, reason);
}

void AgentConnection::onLost(const QString& reason) {
    m_pingPending = false;
    if (m_shutdown || m_state != State::Connected)
        return;
    m_pingTimer.stop();
    setState(State::Lost, reason);
    emit lost(reason);
}

#include "agent_connection.moc"
