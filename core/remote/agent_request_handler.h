#pragma once

#include "agent_server.h"
#include "host_facts.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace le {

class AgentEndpointTable;
struct AgentMessage;

// The agent's side of the control protocol (agent_protocol.h) for one client, without sockets: fed
// the lines the client sent, it answers with the messages to send back. It walks the handshake
// (hello, then the HMAC challenge when the agent has a token) and then serves ping, host, list,
// create, destroy and residence on the endpoint table. A refusal ends the conversation: its reply says to
// close, and later lines are ignored. Used on the agent's thread by AgentServerConnection; tests call it
// directly.
class AgentRequestHandler {
public:
    // What to send, in order; `close`: end the connection once they are written.
    struct Reply {
        std::vector<nlohmann::json> messages;
        bool close = false;
    };

    // `config` (token, version, log), `facts` and `endpoints` outlive the handler; `peer` names the
    // client in the log ("127.0.0.1:40312").
    AgentRequestHandler(const AgentServerConfig& config, const HostFacts& facts,
                        AgentEndpointTable& endpoints, std::string peer);

    // One line from the client, without its '\n' (untrusted: any bytes). Before the handshake is done
    // anything unexpected is refused; after it a bad request gets an error{id, code, message} and the
    // connection stays.
    Reply handle(std::string_view line);
    // Refuses the client: error{code, text}, then close; logged as "PEER: refused: TEXT". Also for
    // what the connection itself refuses (an over-long line). Empty once closing.
    Reply refuse(std::string_view code, const std::string& text);
    // The handshake was not finished within the agent's auth_timeout: the refusal (code timeout).
    // Empty once authenticated or closing.
    Reply timed_out();

    bool authenticated() const { return m_state == State::Ready; }
    bool closing() const { return m_state == State::Closing; }

private:
    enum class State { Hello, Auth, Ready, Closing };

    Reply hello(const AgentMessage& m);
    Reply auth(const AgentMessage& m);
    Reply request(const AgentMessage& m);
    nlohmann::json welcome() const;
    void log(const std::string& line) const;

    const AgentServerConfig& m_config;
    const HostFacts& m_facts;
    AgentEndpointTable& m_endpoints;
    std::string m_peer;
    State m_state = State::Hello;
    std::string m_client_nonce;
    std::string m_agent_nonce;
};

} // namespace le
