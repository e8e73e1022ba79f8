#include "agent_server.h"

#include "agent_endpoint_table.h"
#include "agent_protocol.h"
#include "agent_server_connection.h"
#include "host_facts.h"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

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
        if (m_config.max_connections < 1 || m_config.max_endpoints < 0 || m_config.max_tasks < 0)
            throw std::invalid_argument("agent limits must be positive");
        if (!is_loopback_host(m_config.host) && m_config.token.empty())
            throw std::invalid_argument(fmt::format(
                "refusing to listen on {} without a token: anyone who reaches that address could run "
                "pong endpoints here; give --token-file FILE (or listen on 127.0.0.1)",
                m_config.host));
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
            if (m_connections.load() >= m_config.max_connections) {
                refuse_over_cap(socket);
            } else {
                m_connections++;
                std::make_shared<AgentServerConnection>(std::move(socket), m_config, m_facts, m_endpoints,
                                                        m_connections)
                    ->start();
            }
            accept();
        });
    }

    // One line, best effort and without waiting, then closed: a flood costs a write and a close.
    void refuse_over_cap(tcp::socket& socket) {
        const std::string line = encode_agent_message(agent_error_message(
            agent_code::kBusy, fmt::format("the agent serves at most {} control connections; try again later",
                                           m_config.max_connections)));
        std::error_code ec;
        socket.non_blocking(true, ec);
        socket.write_some(asio::buffer(line), ec);
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        ++m_refused_over_cap;
        const Nanos now = now_ns();
        if (now - m_last_cap_log >= kNanosPerSecond) { // a flood logs once a second, with its count
            log(fmt::format("refused {} connection(s): over the limit of {} control connections",
                            m_refused_over_cap, m_config.max_connections));
            m_refused_over_cap = 0;
            m_last_cap_log = now;
        }
    }

    AgentServerConfig m_config;
    AgentEndpointTable m_endpoints;
    HostFacts m_facts;
    Endpoint m_control;
    std::atomic<int> m_connections{0};
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
