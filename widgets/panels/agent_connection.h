#pragma once

#include "agent_client.h"
#include "background_worker.h"
#include "residence_chunks.h"
#include "ssh_launcher.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>

Q_DECLARE_METATYPE(le::Endpoint)

// How to reach one agent: its control channel directly (host, port, token file), or through an
// ssh connection that starts the agent first.
struct AgentTarget {
    QString host;
    quint16 port = 0;  // control port (direct only)
    QString tokenFile; // empty: no token (an agent on loopback asks for none)
    QString dataHost;  // where pings go; empty: the host (or what ssh resolves it to)
    std::optional<le::SshLaunchOptions> ssh;

    QString name() const; // "host:port" or "ssh user@host"
};

class AgentLink;
struct AgentReply;

// One remote agent as the window sees it. Every request to the agent runs on this connection's
// own worker thread, one after the other (a slow or dead host never blocks the GUI); replies come
// back as values to the GUI thread. A control-channel ping every kPingMs keeps the round trip on screen and
// notices a lost agent.
class AgentConnection : public QObject {
    Q_OBJECT
public:
    enum class State { Connecting, Connected, Lost, WrongToken, Failed };
    Q_ENUM(State)

    static constexpr int kPingMs = 500;
    // Per request: long enough to start an endpoint with tasks, short enough that a silent host
    // shows as lost in ~2 s.
    static constexpr le::Nanos kRequestTimeout = 1500 * le::kNanosPerMilli;
    // How often a measured endpoint's residence is asked for: twice per window record, as the pong
    // child reports (a late answer still lands in its record).
    static constexpr int kResidenceMs = 16;

    explicit AgentConnection(AgentTarget target, QObject* parent = nullptr);
    ~AgentConnection() override; // closes the connection; an agent started over ssh is stopped

    QString name() const { return m_target.name(); }
    State state() const { return m_state; }
    QString stateText() const; // "connected", "lost: connection reset", "wrong token: ..."
    const le::HostFacts& facts() const { return m_facts; }
    const QList<le::AgentEndpointInfo>& endpoints() const { return m_endpoints; }
    double pingMs() const { return m_pingMs; } // < 0: none yet
    bool viaSsh() const { return m_target.ssh.has_value(); }
    // One of this agent's endpoints (as pings reach it).
    bool hasEndpoint(const le::Endpoint& ep) const;

    // (Re)connects; over ssh, starts the remote agent again if ssh has ended.
    void reconnect();
    void createEndpoint(const le::AgentEndpointSpec& spec);
    void destroyEndpoint(int id);
    // The residence of `ep`, one of this agent's endpoints, for the ping session's split
    // (PingConfig::residence): from now until stopResidence(), the worker asks the agent for it every
    // kResidenceMs, one ask at a time, and pushes each answer placed between the previous answer's
    // arrival and its own (the agent's clock is never compared with ours). An endpoint created without
    // measure_residence, an agent that does not know the request or a lost agent make the source say
    // why, once and for good. Null when `ep` is not this agent's. Replaces an earlier poll.
    std::shared_ptr<le::ResidenceChunks> pollResidence(const le::Endpoint& ep);
    void stopResidence();

    // Stops pinging, closes the connection and (ssh) stops the remote agent. Blocks for at most a
    // few seconds; the destructor calls it.
    void shutdown();

signals:
    void stateChanged(AgentConnection::State state, const QString& reason);
    void factsChanged();
    void endpointsChanged();
    void pingChanged(double ms);
    // A request failed without losing the agent (e.g. the port is taken): shown, nothing else.
    void requestFailed(const QString& what, const QString& reason);
    void lost(const QString& reason); // was connected, now is not

private:
    void setState(State s, const QString& reason = {});
    void sendPing();
    // Queues call(AgentLink&) -> AgentReply on the worker thread; its reply goes to onReply.
    template <class Call> void request(Call call);
    void onReply(const AgentReply& reply);
    void onConnected(const AgentReply& reply);
    void onLost(const QString& reason);
    void askResidence();
    void onResidence(const AgentReply& reply);

    AgentTarget m_target;
    // The client and the ssh launcher; only the worker's jobs use it until shutdown() joined them.
    std::shared_ptr<AgentLink> m_link;
    QTimer m_pingTimer;
    State m_state = State::Connecting;
    QString m_reason;
    le::HostFacts m_facts;
    QList<le::AgentEndpointInfo> m_endpoints;
    double m_pingMs = -1;
    bool m_pingPending = false;
    // The endpoint whose residence is polled (pollResidence), and where its answers go.
    QTimer m_residenceTimer;
    std::shared_ptr<le::ResidenceChunks> m_residence;
    int m_residenceEndpoint = 0;
    int m_residencePoll = 0; // which poll a reply belongs to (a stopped poll's reply is dropped)
    le::Nanos m_residenceSince = 0;
    bool m_residencePending = false;
    bool m_shutdown = false;
    BackgroundWorker m_worker; // last member: joined before the rest goes
};
