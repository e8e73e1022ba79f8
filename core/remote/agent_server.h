#pragma once

#include "clock.h"
#include "endpoint.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace le {

struct AgentServerConfig {
    std::string host = "127.0.0.1"; // control address; not loopback => token required
    std::uint16_t port = 7800;      // 0: any free port
    std::string token;              // empty: no authentication (loopback only)
    int max_connections = 64;       // concurrent control connections (see AgentServer)
    int max_pending_per_source = 8; // connections from one address still in their handshake
    int max_endpoints = 16;
    int max_tasks = 1000;                     // per endpoint
    Nanos auth_timeout = 5 * kNanosPerSecond; // to finish hello (and authentication)
    std::string version;                      // reported in the hello and the host facts
    // One line per notable event (refusals with their reason, endpoints created and destroyed).
    // Called on the agent's thread; may be empty.
    std::function<void(const std::string&)> log;
};

// `latency-pong --agent`: serves the control protocol of agent_protocol.h on one Asio thread and
// runs the pong endpoints clients create. Endpoints outlive the connection that created them (a
// client that reconnects finds them) and end when destroyed or when the agent stops.
// Split as Asio's HTTP server example is: this server (accept loop) with its endpoint table
// (agent_endpoint_table.h), a connection per client (agent_server_connection.h: framing, write queue,
// deadline) and the protocol itself in a handler without sockets (agent_request_handler.h).
class AgentServer {
public:
    // Connections that have not finished their handshake hold a slot for at most auth_timeout; at most
    // max_pending_per_source of them come from one address (further ones are refused at once), and
    // when all max_connections slots are taken a new connection takes the slot of the oldest one still
    // in its handshake from the address with the most of them (refused only when every slot is
    // authenticated): a flood from a few addresses cannot keep a client with the token out. Without a
    // token (loopback only) every connection is authenticated at its hello: when all slots are taken,
    // the one that sent nothing for longest (at least auth_timeout) yields its slot instead.
    // Throws std::invalid_argument for a non-loopback address without a token, a weak token
    // (check_token_strength) or bad limits, and
    // std::runtime_error when the address cannot be bound.
    static std::unique_ptr<AgentServer> start(const AgentServerConfig& config);
    virtual ~AgentServer() = default;

    // tcp://HOST:PORT as bound (port 0 replaced).
    virtual Endpoint control() const = 0;
    virtual std::size_t endpoint_count() const = 0;
    // Open control connections (authenticated or not).
    virtual int connection_count() const = 0;
    // Closes every connection, stops every endpoint. Idempotent; the destructor calls it.
    virtual void stop() = 0;
};

// 127.0.0.0/8, ::1 or "localhost".
bool is_loopback_host(const std::string& host);

} // namespace le
