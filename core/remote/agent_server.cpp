#include "agent_server.h"

#include "agent_auth.h"
#include "agent_endpoint_table.h"
#include "agent_protocol.h"
#include "agent_server_connection.h"
#include "host_facts.h"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace le {

using asio::ip::tcp;

bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "::1" || host == "[::1]")
        return true;
    std::error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    return !ec && addr.is_loopback();
}

namespace {

// The accept loop on the agent's one Asio thread, and what its connections share: the
// configuration, the host facts and the endpoint table.
class Server : public AgentServer {
public:
    explicit Server(const AgentServerConfig& config)
        : m_config(config)
        , m_endpoints(m_config.max_endpoints, m_config.max_tasks, m_config.log)
        , m_acceptor(m_io)
        , m_retry(m_io) {
        if (m_config.max_connections < 1 || m_config.max_pending_per_source < 1 ||
            m_config.max_endpoints < 0 || m_config.max_tasks < 0)
            throw std::invalid_argument("agent limits must be positive");
        if (!is_loopback_host(m_config.host) && m_config.token.empty())
            throw std::invalid_argument(fmt::format(
                "refusing to listen on {} without a token: anyone who reaches that address could run "
                "pong endpoints here; give --token-file FILE (or listen on 127.0.0.1)",
                m_config.host));
        if (!m_config.token.empty())
            check_token_strength(m_config.token);
        std::string host = m_config.host;
        if (host.size() > 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        tcp::endpoint where;
        try {
            tcp::resolver resolver(m_io);
            const auto results = resolver.resolve(host, std::to_string(m_config.port),
                                                  tcp::resolver::numeric_service | tcp::resolver::passive);
            where = results.begin()->endpoint();
        } catch (const std::exception& e) {
            throw std::runtime_error(
                fmt::format("cannot resolve control address '{}': {}", m_config.host, e.what()));
        }
        std::error_code ec;
        m_acceptor.open(where.protocol(), ec);
        if (!ec)
            m_acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec)
            m_acceptor.bind(where, ec);
        if (!ec)
            m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            throw std::runtime_error(
                fmt::format("cannot listen on tcp://{}:{}: {}", m_config.host, m_config.port, ec.message()));
        const auto bound = m_acceptor.local_endpoint();
        m_control.transport = Transport::Tcp;
        m_control.host = bound.address().to_string();
        m_control.port = bound.port();
        m_facts = local_host_facts();
        m_facts.agent_version = m_config.version;
        m_facts.protocol = kAgentProtocol;
        accept();
        m_thread = std::thread([this] { m_io.run(); });
    }

    ~Server() override { stop(); }

    Endpoint control() const override { return m_control; }
    std::size_t endpoint_count() const override { return m_endpoints.size(); }
    int connection_count() const override { return m_connections.load(); }

    void stop() override {
        std::call_once(m_stopped, [this] {
            asio::post(m_io, [this] {
                std::error_code ec;
                m_acceptor.close(ec);
                m_retry.cancel();
            });
            m_io.stop();
            if (m_thread.joinable())
                m_thread.join();
            m_endpoints.stop_all();
        });
    }

private:
    void log(const std::string& line) const {
        if (m_config.log)
            m_config.log(line);
    }

    void accept() {
        m_acceptor.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !m_acceptor.is_open())
                return;
            if (ec) {
                // Out of descriptors (1,000 connections held): back off instead of spinning.
                log(fmt::format("accept failed: {}; retrying in 50 ms", ec.message()));
                m_retry.expires_after(std::chrono::milliseconds(50));
                m_retry.async_wait([this](std::error_code e) {
                    if (!e)
                        accept();
                });
                return;
            }
            admit(std::move(socket));
            accept();
        });
    }

    struct Open {
        std::weak_ptr<AgentServerConnection> connection;
        asio::ip::address source;
    };

    // The limits of AgentServer's contract: per source for handshakes, then the total, where a
    // handshake in progress yields its slot to a newcomer.
    void admit(tcp::socket socket) {
        std::error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        if (ec)
            return; // gone already
        const asio::ip::address source = peer.address();
        std::erase_if(m_open, [](const Open& o) {
            const auto c = o.connection.lock();
            return !c || c->closing();
        });
        std::map<asio::ip::address, int> pending;
        for (const Open& o : m_open)
            if (!o.connection.lock()->authenticated())
                ++pending[o.source];
        if (pending[source] >= m_config.max_pending_per_source) {
            refuse_over_cap(socket, fmt::format("{} connections from {} are already in their handshake; try "
                                                "again later",
                                                pending[source], source.to_string()));
            return;
        }
        if (static_cast<int>(m_open.size()) >= m_config.max_connections) {
            auto most = std::max_element(pending.begin(), pending.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
            if (most == pending.end() || most->second == 0) {
                if (!evict_idle_without_token()) {
                    refuse_over_cap(socket, fmt::format("the agent serves at most {} control connections; "
                                                        "try again later",
                                                        m_config.max_connections));
                    return;
                }
                most = pending.end();
            }
            for (const Open& o : m_open) { // oldest first
                const auto c = o.connection.lock();
                if (most != pending.end() && o.source == most->first && !c->authenticated()) {
                    c->evict("the agent is full and this connection is still in its handshake; closing");
                    break;
                }
            }
            std::erase_if(m_open, [](const Open& o) { return o.connection.lock()->closing(); });
        }
        m_connections++;
        auto connection = std::make_shared<AgentServerConnection>(std::move(socket), m_config, m_facts,
                                                                  m_endpoints, m_connections);
        m_open.push_back({connection, source});
        connection->start();
    }

    // Without a token every connection is authenticated at its hello, so a few dozen idle ones would
    // hold every slot for good: when full, the one silent longest (for at least the handshake time)
    // yields its slot. With a token only a client that knows it holds a slot, and keeps it.
    bool evict_idle_without_token() {
        if (!m_config.token.empty())
            return false;
        std::shared_ptr<AgentServerConnection> idlest;
        for (const Open& o : m_open) {
            const auto c = o.connection.lock();
            if (c && !c->closing() && (!idlest || c->last_heard() < idlest->last_heard()))
                idlest = c;
        }
        if (!idlest || now_ns() - idlest->last_heard() < m_config.auth_timeout)
            return false;
        idlest->evict("the agent is full and this connection was the one silent longest; closing");
        return true;
    }

    // One line, best effort and without waiting, then closed: a flood costs a write and a close.
    void refuse_over_cap(tcp::socket& socket, const std::string& why) {
        const std::string line = encode_agent_message(agent_error_message(agent_code::kBusy, why));
        std::error_code ec;
        socket.non_blocking(true, ec);
        socket.write_some(asio::buffer(line), ec);
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        ++m_refused_over_cap;
        const Nanos now = now_ns();
        if (now - m_last_cap_log >= kNanosPerSecond) { // a flood logs once a second, with its count
            log(fmt::format("refused {} connection(s) over the limits (the last: {})", m_refused_over_cap,
                            why));
            m_refused_over_cap = 0;
            m_last_cap_log = now;
        }
    }

    AgentServerConfig m_config;
    AgentEndpointTable m_endpoints;
    HostFacts m_facts;
    Endpoint m_control;
    std::atomic<int> m_connections{0};
    std::vector<Open> m_open; // the agent's thread only; oldest first
    std::uint64_t m_refused_over_cap = 0;
    Nanos m_last_cap_log = 0;
    std::once_flag m_stopped;
    asio::io_context m_io; // after what its handlers use, so it is destroyed first
    tcp::acceptor m_acceptor;
    asio::steady_timer m_retry;
    std::thread m_thread;
};

} // namespace

std::unique_ptr<AgentServer> AgentServer::start(const AgentServerConfig& config) {
    return std::make_unique<Server>(config);
}

} // namespace le
