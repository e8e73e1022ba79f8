#include "agent_connection.h"

#include "agent_residence.h"
#include "qt_string.h"

#include <algorithm>
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
        Residence,     // an answer to a residence ask: arrivedNs, residenceEnded
    };
    Kind kind = Kind::Nothing;
    le::HostFacts facts;
    QList<le::AgentEndpointInfo> endpoints;
    QString what;
    QString reason;
    bool wrongToken = false;
    double pingMs = 0;
    le::Nanos arrivedNs = 0;
    bool residenceEnded = false;
    int residencePoll = 0;

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

    // Asks endpoint `id`'s residence since the last ask and pushes it into `chunks` as the chunk
    // (since, arrival]; or tells `chunks` why there is none. A lost connection is also a Lost reply.
    AgentReply residence(int id, le::ResidenceChunks& chunks, le::Nanos since) {
        AgentReply r = AgentReply::of(AgentReply::Kind::Residence);
        if (!m_client) {
            r.residenceEnded = true;
            chunks.set_unavailable("the agent is not connected");
            return r;
        }
        try {
            le::AgentResidence got = m_client->residence(id, AgentConnection::kRequestTimeout);
            r.arrivedNs = le::now_ns();
            if (!got.unavailable.empty()) {
                r.residenceEnded = true;
                chunks.set_unavailable(le::residence_unmeasured(got.unavailable));
            } else {
                chunks.push({since, r.arrivedNs, std::move(got.data)});
            }
            return r;
        } catch (const le::AgentError& e) {
            std::string why = le::residence_failure(e, r.residenceEnded);
            if (r.residenceEnded)
                chunks.set_unavailable(std::move(why));
            if (e.lost() || !m_client->connected())
                return handle(e, AgentConnection::tr("residence"));
            return r; // that interval goes without; the next ask may answer
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
    m_residenceTimer.setInterval(kResidenceMs);
    connect(&m_residenceTimer, &QTimer::timeout, this, &AgentConnection::askResidence);
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
    stopResidence();
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
    case AgentReply::Kind::Residence:
        onResidence(reply);
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
    m_residencePending = false;
    if (m_shutdown || m_state != State::Connected)
        return;
    m_pingTimer.stop();
    setState(State::Lost, reason);
    emit lost(reason);
}

std::shared_ptr<le::ResidenceChunks> AgentConnection::pollResidence(const le::Endpoint& ep) {
    stopResidence();
    const auto e = std::find_if(m_endpoints.begin(), m_endpoints.end(),
                                [&](const le::AgentEndpointInfo& i) { return i.endpoint == ep; });
    if (e == m_endpoints.end())
        return nullptr;
    m_residence = std::make_shared<le::ResidenceChunks>(kResidenceMs * le::kNanosPerMilli);
    if (!e->spec.measure_residence) { // known here already: no need to ask
        m_residence->set_unavailable(
            le::residence_unmeasured("it was started without measuring it: tick \"Measure its residence\""));
        return m_residence;
    }
    m_residenceEndpoint = e->id;
    m_residenceSince = le::now_ns();
    ++m_residencePoll;
    m_residenceTimer.start();
    askResidence(); // the first answer now: what the endpoint measured before is dropped with it
    return m_residence;
}

void AgentConnection::stopResidence() {
    m_residenceTimer.stop();
    m_residence.reset();
    ++m_residencePoll; // a reply on its way belongs to the stopped poll
    m_residencePending = false;
}

void AgentConnection::askResidence() {
    if (!m_residence || m_residencePending || m_state != State::Connected)
        return; // one ask at a time: a slow agent leaves records without the peer's side, not a queue
    m_residencePending = true;
    request([id = m_residenceEndpoint, chunks = m_residence, since = m_residenceSince,
             poll = m_residencePoll](AgentLink& link) {
        AgentReply r = link.residence(id, *chunks, since);
        r.residencePoll = poll;
        return r;
    });
}

void AgentConnection::onResidence(const AgentReply& reply) {
    if (reply.residencePoll != m_residencePoll)
        return;
    m_residencePending = false;
    if (reply.arrivedNs > 0)
        m_residenceSince = reply.arrivedNs;
    if (reply.residenceEnded)
        m_residenceTimer.stop(); // the source says why for the rest of the run
}
