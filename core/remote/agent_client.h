#pragma once

#include "agent_endpoint.h"
#include "clock.h"
#include "host_facts.h"

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace le {

// Why a request to an agent failed, in words meant for the user ("wrong token", "the agent speaks
// protocol 2, this build 1", "connection refused", "no answer within 5 s", "endpoint limit (16)
// reached"). `lost()` is true when the control connection is gone (agent killed, network cut): the
// client cannot be used any more and a reconnect is the only way on.
class AgentError : public std::runtime_error {
public:
    AgentError(const std::string& what, bool lost, std::string code = {})
        : std::runtime_error(what)
        , m_lost(lost)
        , m_code(std::move(code)) {}
    bool lost() const { return m_lost; }
    // The agent's error code when it refused the request (agent_code::kBadMessage, ...), else empty.
    const std::string& code() const { return m_code; }

private:
    bool m_lost;
    std::string m_code;
};

// The control connection to one `latency-pong --agent`. Requests are synchronous and serialised
// (any thread may call); each waits at most the request timeout given to connect().
class AgentClient {
public:
    // url: tcp://HOST:PORT of the agent's control channel. token: the shared secret (empty when
    // the agent asks for none, i.e. it listens on loopback only). data_host: the address pings
    // use for the agent's endpoints; empty = HOST of url (set it when control goes through an SSH
    // tunnel on 127.0.0.1 but data goes direct). With a token, the agent must prove it knows it: an
    // agent that asks for none or does not prove it is refused. Throws AgentError (wrong or weak
    // token, fake agent, version, refused, timeout, ...).
    static std::unique_ptr<AgentClient> connect(const std::string& url, const std::string& token,
                                                const std::string& data_host = {},
                                                Nanos timeout = 5 * kNanosPerSecond);
    virtual ~AgentClient() = default;

    virtual const HostFacts& host_facts() const = 0;
    // A spec bound to the default 0.0.0.0 is bound to "::" instead when the data host is an IPv6
    // address (an agent reached as tcp://[::1]:P serves its endpoints there too).
    virtual AgentEndpointInfo create_endpoint(const AgentEndpointSpec& spec) = 0;
    virtual void destroy_endpoint(int id) = 0;
    virtual std::vector<AgentEndpointInfo> list_endpoints() = 0;
    // Endpoint `endpoint`'s residence since the last such request (AgentResidence), waiting at most
    // `timeout` (or the client's own timeout when shorter); a timeout loses the connection, as any.
    // An agent of before this request refuses it: AgentError with code() agent_code::kBadMessage.
    virtual AgentResidence residence(int endpoint, Nanos timeout) = 0;
    // Round trip of the control channel (also how a caller notices a lost agent).
    virtual Nanos ping() = 0;
    virtual bool connected() const = 0;
    // Closes the connection; endpoints created through it keep running on the agent until it
    // stops or another client destroys them.
    virtual void close() = 0;
};

// The token in a file (first line, surrounding whitespace removed). Throws std::runtime_error
// naming the file and the problem (missing, unreadable, empty, readable by others, weaker than 128
// bits: see check_token_strength).
std::string read_token_file(const std::string& path);

} // namespace le
