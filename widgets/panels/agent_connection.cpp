#include "agent_connection.h"

#include "qt_string.h"

#include <utility>

namespace {

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

// What one request to the agent came back with.
struct AgentReply {
    enum class Kind {
        Nothing,       // no client (not connected): nothing happened
        Connected,     // facts, endpoints
        Failed,        // connecting failed: reason, wrongToken
        Lost,          // the agent is gone: reason
        Endpoints,     // the endpoint list after a change
        RequestFailed, // `what` failed without losing the agent: reason
        Pinged,        // pingMs
    };
    Kind kind = Kind::Nothing;
    le::HostFacts facts;
    QList<le::AgentEndpointInfo> endpoints;
    QString what;
    QString reason;
    bool wrongToken = false;
    double pingMs = 0;

    static AgentReply of(Kind kind) {
        AgentReply r;
        r.kind = kind;
        return r;
    }
    static AgentReply failed(QString reason, bool wrongToken) {
        AgentReply r = of(Kind::Failed);
        r.reason = std::move(reason);
        r.wrongToken = wrongToken;
        return r;
    }
    static AgentReply lost(QString reason) {
        AgentReply r = of(Kind::Lost);
        r.reason = std::move(reason);
        return r;
    }
    static AgentReply requestFailed(QString what, QString reason) {
        AgentReply r = of(Kind::RequestFailed);
        r.what = std::move(what);
        r.reason = std::move(reason);
        return r;
    }
};

// Owns the client (and the ssh launcher) and makes every blocking call, on the connection's
// worker thread. Only that thread touches them, so they need no locking of their own.
class AgentLink {
public:
    explicit AgentLink(AgentTarget target)
        : m_target(std::move(target)) {
        if (m_target.ssh)
            m_target.ssh->cancel = &m_cancel;
    }
    ~AgentLink() { close(); }
    AgentLink(const AgentLink&) = delete;
    AgentLink& operator=(const AgentLink&) = delete;

    // Gives up an ssh start under way; safe from any thread.
    void cancel() { m_cancel = true; }

    AgentReply connectAgent() {
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
                    return AgentReply::failed(qs(e.what()), false);
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
                    return AgentReply::failed(qs(e.what()), false);
                }
            }
        }
        try {
            m_client = le::AgentClient::connect(url, token, dataHost, AgentConnection::kRequestTimeout);
            AgentReply r = AgentReply::of(AgentReply::Kind::Connected);
            r.endpoints = toList(m_client->list_endpoints());
            r.facts = m_client->host_facts();
            return r;
        } catch (const std::exception& e) {
            m_client.reset();
            const QString what = qs(e.what());
            return AgentReply::failed(withSshTail(what),
                                      what.contains(QLatin1String("token"), Qt::CaseInsensitive));
        }
    }

    AgentReply create(const le::AgentEndpointSpec& spec) {
        if (!m_client)
            return {};
        try {
            m_client->create_endpoint(spec);
            return endpoints();
        } catch (const std::exception& e) {
            return handle(e, AgentConnection::tr("start endpoint"));
        }
    }

    AgentReply destroy(int id) {
        if (!m_client)
            return {};
        try {
            m_client->destroy_endpoint(id);
            return endpoints();
        } catch (const std::exception& e) {
            return handle(e, AgentConnection::tr("stop endpoint"));
        }
    }

    AgentReply ping() {
        if (!m_client)
            return {};
        if (m_launcher && !m_launcher->running()) {
            dropClient();
            return AgentReply::lost(qs(m_launcher->exit_reason()));
        }
        try {
            const le::Nanos rtt = m_client->ping();
            AgentReply r = AgentReply::of(AgentReply::Kind::Pinged);
            r.pingMs = double(rtt) / le::kNanosPerMilli;
            return r;
        } catch (const std::exception& e) {
            // A ping that gets no answer in time means the agent is gone for us, lost or not.
            dropClient();
            return AgentReply::lost(withSshTail(qs(e.what())));
        }
    }

    // Closes the client and stops ssh (the remote agent exits).
    void close() {
        dropClient();
        if (m_launcher)
            m_launcher->stop();
        m_launcher.reset();
    }

private:
    AgentReply endpoints() {
        AgentReply r = AgentReply::of(AgentReply::Kind::Endpoints);
        r.endpoints = toList(m_client->list_endpoints());
        return r;
    }

    void dropClient() {
        if (m_client)
            m_client->close();
        m_client.reset();
    }

    AgentReply handle(const std::exception& e, const QString& what) {
        const auto* agentError = dynamic_cast<const le::AgentError*>(&e);
        if ((agentError && agentError->lost()) || !m_client->connected()) {
            dropClient();
            return AgentReply::lost(withSshTail(qs(e.what())));
        }
        return AgentReply::requestFailed(what, qs(e.what()));
    }

    // Over ssh, a request that fails because ssh ended says why ssh ended.
    QString withSshTail(const QString& reason) const {
        if (!m_launcher || m_launcher->running())
            return reason;
        return QStringLiteral("%1 (%2)").arg(reason, qs(m_launcher->exit_reason()));
    }

    AgentTarget m_target;
    std::atomic<bool> m_cancel{false};
    std::unique_ptr<le::SshLauncher> m_launcher;
    std::unique_ptr<le::AgentClient> m_client;
};

AgentConnection::AgentConnection(AgentTarget target, QObject* parent)
    : QObject(parent)
    , m_target(std::move(target))
    , m_link(std::make_shared<AgentLink>(m_target))
    , m_worker(this, "agent " + name().toStdString()) {
    m_pingTimer.setInterval(kPingMs);
    connect(&m_pingTimer, &QTimer::timeout, this, &AgentConnection::sendPing);
    reconnect();
}

template <class Call> void AgentConnection::request(Call call) {
    if (m_shutdown)
        return;
    m_worker.post([link = m_link, call = std::move(call)] { return call(*link); },
                  [this](const JobResult<AgentReply>& reply) {
                      onReply(reply.ok() ? reply.value
                                         : AgentReply::requestFailed(tr("request"), *reply.error));
                  });
}

void AgentConnection::sendPing() {
    if (m_state != State::Connected || m_pingPending)
        return; // one ping at a time: a slow agent does not pile them up
    m_pingPending = true;
    request([](AgentLink& link) { return link.ping(); });
}

AgentConnection::~AgentConnection() {
    shutdown();
}

void AgentConnection::shutdown() {
    if (m_shutdown)
        return;
    m_shutdown = true;
    m_pingTimer.stop();
    // The queued requests are dropped; after the one under way (at most a request timeout, or an
    // ssh start, which the cancel gives up) the thread ends. Then the client closes and ssh stops
    // (the remote agent exits), here.
    m_link->cancel();
    m_worker.shutdown();
    m_link->close();
    m_link.reset();
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
    request([](AgentLink& link) { return link.connectAgent(); });
}

void AgentConnection::createEndpoint(const le::AgentEndpointSpec& spec) {
    request([spec](AgentLink& link) { return link.create(spec); });
}

void AgentConnection::destroyEndpoint(int id) {
    request([id](AgentLink& link) { return link.destroy(id); });
}

void AgentConnection::setState(State s, const QString& reason) {
    m_state = s;
    m_reason = reason;
    emit stateChanged(s, reason);
}

void AgentConnection::onReply(const AgentReply& reply) {
    switch (reply.kind) {
    case AgentReply::Kind::Nothing:
        return;
    case AgentReply::Kind::Connected:
        onConnected(reply);
        return;
    case AgentReply::Kind::Failed:
        if (!m_shutdown)
            setState(reply.wrongToken ? State::WrongToken : State::Failed, reply.reason);
        return;
    case AgentReply::Kind::Lost:
        onLost(reply.reason);
        return;
    case AgentReply::Kind::Endpoints:
        m_endpoints = reply.endpoints;
        emit endpointsChanged();
        return;
    case AgentReply::Kind::RequestFailed:
        emit requestFailed(reply.what, reply.reason);
        return;
    case AgentReply::Kind::Pinged:
        m_pingPending = false;
        m_pingMs = reply.pingMs;
        emit pingChanged(reply.pingMs);
        return;
    }
}

void AgentConnection::onConnected(const AgentReply& reply) {
    if (m_shutdown)
        return;
    m_facts = reply.facts;
    m_endpoints = reply.endpoints;
    m_pingMs = -1;
    setState(State::Connected);
    emit factsChanged();
    emit endpointsChanged();
    m_pingTimer.start();
    sendPing(); // the first round trip now, not in kPingMs
}

void AgentConnection::onLost(const QString& reason) {
    m_pingPending = false;
    if (m_shutdown || m_state != State::Connected)
        return;
    m_pingTimer.stop();
    setState(State::Lost, reason);
    emit lost(reason);
}
