#pragma once

#include "agent_request_handler.h"
#include "clock.h"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace le {

// One control connection of the agent, on the agent's Asio thread, shaped like a connection of
// Asio's HTTP server example: it splits what arrives into lines (at most kAgentMaxLine bytes), hands
// each to its AgentRequestHandler and queues the answers for writing, reading no more while over
// 256 KiB wait to be written. It ends the connection when the handshake is not done within the
// auth_timeout, and after a refusal once it is written (or a second later when the peer does not
// read it). Owned by the handlers it has pending (shared_from_this).
class AgentServerConnection : public std::enable_shared_from_this<AgentServerConnection> {
public:
    // `config`, `facts` and `endpoints` outlive the connection. `connections` counts open control
    // connections: the server counts this one in, the destructor counts it out.
    AgentServerConnection(asio::ip::tcp::socket socket, const AgentServerConfig& config,
                          const HostFacts& facts, AgentEndpointTable& endpoints,
                          std::atomic<int>& connections);
    ~AgentServerConnection();
    AgentServerConnection(const AgentServerConnection&) = delete;
    AgentServerConnection& operator=(const AgentServerConnection&) = delete;

    // Starts the handshake deadline and reading. Call once, on the agent's thread.
    void start();
    // Handshake done (the agent's thread only, as the rest).
    bool authenticated() const { return m_handler.authenticated(); }
    bool closing() const { return m_closing; }
    // When the client last sent anything (its connection time until then).
    Nanos last_heard() const { return m_last_heard; }
    // Refuses the connection now (code busy, `why`) to make room for another; closes at once.
    void evict(const std::string& why);

private:
    void read();
    void on_read(std::size_t n);
    // Sends the handler's messages; on a refusal, closes once they are written (or after a linger).
    void apply(AgentRequestHandler::Reply reply);
    void send(const nlohmann::json& message);
    void write_next();
    void close();

    asio::ip::tcp::socket m_socket;
    asio::steady_timer m_deadline; // the handshake's, then the linger after a refusal
    std::atomic<int>& m_connections;
    const Nanos m_auth_timeout;
    AgentRequestHandler m_handler;
    bool m_closing = false;
    std::array<char, 4096> m_chunk{};
    std::string m_line;
    std::deque<std::string> m_out;
    std::size_t m_out_bytes = 0;
    bool m_writing = false;
    bool m_reading = false;
    Nanos m_last_heard = now_ns();
};

} // namespace le
