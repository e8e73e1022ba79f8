#include "agent_server.h"

#include "agent_auth.h"
#include "agent_client.h"
#include "agent_protocol.h"
#include "host_facts.h"
#include "pong_server.h"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace le {

using asio::ip::tcp;
using nlohmann::json;

bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "::1" || host == "[::1]")
        return true;
    std::error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    return !ec && addr.is_loopback();
}

namespace {

constexpr std::size_t kMaxQueuedBytes = 256 * 1024; // a client that does not read is not read either
constexpr auto kLingerOnClose = std::chrono::seconds(1);

// A half-open authenticated connection (host gone without FIN) ends after ~25 s of silence.
void set_keepalive(tcp::socket& s) {
    const int fd = s.native_handle();
    int on = 1, idle = 10, interval = 5, count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

std::string peer_name(const tcp::socket& s) {
    std::error_code ec;
    const auto ep = s.remote_endpoint(ec);
    return ec ? std::string("unknown peer") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Server& server, tcp::socket socket);
    ~Connection();
    void start();

private:
    enum class State { Hello, Auth, Ready, Closing };

    void read();
    void on_read(std::size_t n);
    void handle(std::string_view line);
    void handle_hello(const AgentMessage& m);
    void handle_auth(const AgentMessage& m);
    void handle_request(const AgentMessage& m);
    void send(const json& message);
    void write_next();
    // Sends the error, then closes; the reason goes to the agent's log too.
    void refuse(std::string_view code, const std::string& text);
    void close();

    Server& m_server;
    tcp::socket m_socket;
    asio::steady_timer m_deadline;
    std::string m_peer;
    State m_state = State::Hello;
    std::array<char, 4096> m_chunk{};
    std::string m_line;
    std::deque<std::string> m_out;
    std::size_t m_out_bytes = 0;
    bool m_writing = false;
    bool m_reading = false;
    std::string m_client_nonce;
    std::string m_agent_nonce;
};

class Server : public AgentServer {
public:
    explicit Server(const AgentServerConfig& config)
        : m_config(config)
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
    std::size_t endpoint_count() const override {
        std::lock_guard lock(m_mutex);
        return m_endpoints.size();
    }
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
            std::map<int, Entry> endpoints;
            {
                std::lock_guard lock(m_mutex);
                endpoints.swap(m_endpoints);
            }
            for (auto& [id, e] : endpoints)
                e.server->stop();
        });
    }

    const AgentServerConfig& config() const { return m_config; }
    const HostFacts& facts() const { return m_facts; }
    void log(const std::string& line) const {
        if (m_config.log)
            m_config.log(line);
    }
    std::atomic<int>& connections() { return m_connections; }

    json create(const json& spec_json) {
        const AgentEndpointSpec spec = endpoint_spec_from_json(spec_json, m_config.max_tasks);
        {
            std::lock_guard lock(m_mutex);
            if (static_cast<int>(m_endpoints.size()) >= m_config.max_endpoints)
                throw Refusal(
                    agent_code::kLimit,
                    fmt::format("endpoint limit ({}) reached; destroy one first", m_config.max_endpoints));
        }
        PongConfig pong;
        Endpoint listen;
        listen.transport = spec.transport;
        listen.host = spec.bind_host;
        listen.port = spec.port;
        pong.listen = {listen};
        pong.engine = spec.engine;
        pong.tasks = spec.tasks;
        pong.task_work = spec.task_work;
        pong.task_period = spec.task_period;
        pong.delay = spec.delay;
        pong.jitter = spec.jitter;
        pong.loss_percent = spec.loss_percent;
        std::unique_ptr<PongServer> server;
        try {
            server = start_pong(pong);
        } catch (const std::exception& e) {
            throw Refusal(agent_code::kFailed, e.what());
        }
        std::lock_guard lock(m_mutex);
        const int id = m_next_id++;
        Entry& e = m_endpoints[id];
        e.spec = spec;
        e.server = std::move(server);
        log(fmt::format("endpoint {} created: {} ({} engine, {} tasks)", id,
                        e.server->endpoints().front().url(), to_string(spec.engine), spec.tasks));
        return endpoint_info_to_json(info_of(id, e));
    }

    void destroy(int id) {
        std::unique_ptr<PongServer> server;
        {
            std::lock_guard lock(m_mutex);
            const auto it = m_endpoints.find(id);
            if (it == m_endpoints.end())
                throw Refusal(agent_code::kNotFound, fmt::format("no endpoint {} on this agent", id));
            server = std::move(it->second.server);
            m_endpoints.erase(it);
        }
        server->stop();
        log(fmt::format("endpoint {} destroyed", id));
    }

    json list() const {
        json out = json::array();
        std::lock_guard lock(m_mutex);
        for (const auto& [id, e] : m_endpoints)
            out.push_back(endpoint_info_to_json(info_of(id, e)));
        return out;
    }

    // An error for the client, with its wire code.
    struct Refusal : std::runtime_error {
        Refusal(const char* c, const std::string& what)
            : std::runtime_error(what)
            , code(c) {}
        const char* code;
    };

private:
    struct Entry {
        AgentEndpointSpec spec;
        std::unique_ptr<PongServer> server;
    };

    static AgentEndpointInfo info_of(int id, const Entry& e) {
        AgentEndpointInfo info;
        info.id = id;
        info.spec = e.spec;
        info.endpoint = e.server->endpoints().front();
        const PongStats& s = e.server->stats();
        info.stats = {s.accepted.load(), s.refused.load(), s.active.load(), s.bytes.load(), s.dropped.load()};
        return info;
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
                std::make_shared<Connection>(*this, std::move(socket))->start();
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
    HostFacts m_facts;
    Endpoint m_control;
    std::atomic<int> m_connections{0};
    mutable std::mutex m_mutex; // guards the endpoints
    std::map<int, Entry> m_endpoints;
    int m_next_id = 1;
    std::uint64_t m_refused_over_cap = 0;
    Nanos m_last_cap_log = 0;
    std::once_flag m_stopped;
    asio::io_context m_io; // after what its handlers use, so it is destroyed first
    tcp::acceptor m_acceptor;
    asio::steady_timer m_retry;
    std::thread m_thread;
};

Connection::Connection(Server& server, tcp::socket socket)
    : m_server(server)
    , m_socket(std::move(socket))
    , m_deadline(m_socket.get_executor())
    , m_peer(peer_name(m_socket)) {}

Connection::~Connection() {
    m_server.connections()--;
}

void Connection::start() {
    set_keepalive(m_socket);
    m_deadline.expires_after(std::chrono::nanoseconds(m_server.config().auth_timeout));
    m_deadline.async_wait([self = shared_from_this()](std::error_code ec) {
        if (ec || self->m_state == State::Ready || self->m_state == State::Closing)
            return;
        self->refuse(agent_code::kTimeout,
                     fmt::format("no {} within {} s; closing",
                                 self->m_state == State::Hello ? "hello" : "authentication",
                                 self->m_server.config().auth_timeout / kNanosPerSecond));
    });
    read();
}

void Connection::read() {
    if (m_reading || m_state == State::Closing)
        return;
    m_reading = true;
    m_socket.async_read_some(asio::buffer(m_chunk),
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                 self->m_reading = false;
                                 if (ec) {
                                     if (self->m_state != State::Closing)
                                         self->close();
                                     return;
                                 }
                                 self->on_read(n);
                             });
}

void Connection::on_read(std::size_t n) {
    std::string_view data(m_chunk.data(), n);
    while (!data.empty() && m_state != State::Closing) {
        const auto nl = data.find('\n');
        const std::string_view part = data.substr(0, nl);
        if (m_line.size() + part.size() > kAgentMaxLine + 1) { // +1: a '\r' before the '\n'
            refuse(agent_code::kBadMessage,
                   fmt::format("message longer than the limit of {} bytes; closing", kAgentMaxLine));
            return;
        }
        m_line.append(part);
        if (nl == std::string_view::npos)
            break;
        data.remove_prefix(nl + 1);
        const std::string line = std::move(m_line);
        m_line.clear();
        handle(line);
    }
    if (m_state != State::Closing && m_out_bytes < kMaxQueuedBytes)
        read();
}

void Connection::handle(std::string_view line) {
    AgentParseResult parsed = parse_agent_message(line);
    if (!parsed.message) {
        if (m_state == State::Ready)
            send(agent_error_message(agent_code::kBadMessage, parsed.error));
        else
            refuse(agent_code::kBadMessage, parsed.error + "; closing");
        return;
    }
    switch (m_state) {
    case State::Hello:
        handle_hello(*parsed.message);
        break;
    case State::Auth:
        handle_auth(*parsed.message);
        break;
    case State::Ready:
        handle_request(*parsed.message);
        break;
    case State::Closing:
        break;
    }
}

void Connection::handle_hello(const AgentMessage& m) {
    if (m.type != "hello") {
        refuse(agent_code::kAuthRequired,
               fmt::format("'{}' refused: not authenticated (send hello first)", m.type.substr(0, 40)));
        return;
    }
    int protocol = 0;
    try {
        protocol = static_cast<int>(agent_int(m.body, "protocol", 0, INT32_MAX));
    } catch (const AgentProtocolError& e) {
        refuse(agent_code::kBadMessage, fmt::format("bad hello: {}", e.what()));
        return;
    }
    if (protocol != kAgentProtocol) {
        refuse(agent_code::kVersion,
               fmt::format("the agent speaks protocol {}, the client {}; use matching versions",
                           kAgentProtocol, protocol));
        return;
    }
    json reply{{"type", "hello"}, {"protocol", kAgentProtocol}, {"agent", m_server.config().version}};
    const std::string& token = m_server.config().token;
    if (token.empty()) {
        reply["auth"] = "none";
        send(reply);
        m_state = State::Ready;
        m_deadline.cancel();
        send({{"type", "welcome"}, {"host", host_facts_to_json(m_server.facts())}});
        return;
    }
    const auto nonce = m.body.find("nonce");
    if (nonce == m.body.end() || !nonce->is_string() || !is_nonce(nonce->get_ref<const std::string&>())) {
        refuse(agent_code::kBadMessage,
               "bad hello: this agent needs a token; the hello must carry a 64-hex-digit nonce");
        return;
    }
    m_client_nonce = nonce->get<std::string>();
    try {
        m_agent_nonce = random_nonce();
    } catch (const std::exception& e) {
        refuse(agent_code::kFailed, e.what());
        return;
    }
    reply["auth"] = "hmac-sha256";
    reply["challenge"] = m_agent_nonce;
    reply["proof"] = agent_proof(token, m_client_nonce, m_agent_nonce);
    send(reply);
    m_state = State::Auth;
}

void Connection::handle_auth(const AgentMessage& m) {
    if (m.type != "auth") {
        refuse(agent_code::kAuthRequired,
               fmt::format("'{}' refused: not authenticated", m.type.substr(0, 40)));
        return;
    }
    const auto response = m.body.find("response");
    const std::string expected = client_proof(m_server.config().token, m_agent_nonce, m_client_nonce);
    if (response == m.body.end() || !response->is_string() ||
        !proofs_equal(response->get_ref<const std::string&>(), expected)) {
        refuse(agent_code::kAuth, "wrong token");
        return;
    }
    m_state = State::Ready;
    m_deadline.cancel();
    m_server.log(fmt::format("{}: authenticated", m_peer));
    send({{"type", "welcome"}, {"host", host_facts_to_json(m_server.facts())}});
}

void Connection::handle_request(const AgentMessage& m) {
    const std::int64_t id = m.id;
    try {
        if (m.type == "ping") {
            send({{"type", "pong"}, {"id", id}});
        } else if (m.type == "host") {
            send({{"type", "host"}, {"id", id}, {"host", host_facts_to_json(m_server.facts())}});
        } else if (m.type == "list") {
            send({{"type", "endpoints"}, {"id", id}, {"endpoints", m_server.list()}});
        } else if (m.type == "create") {
            send({{"type", "created"},
                  {"id", id},
                  {"endpoint", m_server.create(agent_field(m.body, "spec"))}});
        } else if (m.type == "destroy") {
            m_server.destroy(static_cast<int>(agent_int(m.body, "endpoint", 0, INT32_MAX)));
            send({{"type", "destroyed"}, {"id", id}});
        } else {
            send(agent_error_message(
                agent_code::kBadMessage,
                fmt::format("unknown request '{}' (expected ping, host, list, create or destroy)",
                            m.type.substr(0, 40)),
                id));
        }
    } catch (const Server::Refusal& e) {
        send(agent_error_message(e.code, e.what(), id));
    } catch (const AgentProtocolError& e) {
        send(agent_error_message(agent_code::kInvalid, fmt::format("{}: {}", m.type, e.what()), id));
    } catch (const std::exception& e) {
        send(agent_error_message(agent_code::kFailed, fmt::format("{}: {}", m.type, e.what()), id));
    }
}

void Connection::send(const json& message) {
    std::string line = encode_agent_message(message);
    m_out_bytes += line.size();
    m_out.push_back(std::move(line));
    if (!m_writing)
        write_next();
}

void Connection::write_next() {
    if (m_out.empty()) {
        if (m_state == State::Closing) {
            close();
            return;
        }
        read(); // reading pauses while too much waits to be written
        return;
    }
    m_writing = true;
    asio::async_write(m_socket, asio::buffer(m_out.front()),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                          self->m_writing = false;
                          if (ec) {
                              self->close();
                              return;
                          }
                          self->m_out_bytes -= self->m_out.front().size();
                          self->m_out.pop_front();
                          self->write_next();
                      });
}

void Connection::refuse(std::string_view code, const std::string& text) {
    if (m_state == State::Closing)
        return;
    m_server.log(fmt::format("{}: refused: {}", m_peer, text));
    send(agent_error_message(code, text));
    m_state = State::Closing;
    // A peer that does not read its refusal does not hold the slot for long.
    m_deadline.cancel();
    m_deadline.expires_after(kLingerOnClose);
    m_deadline.async_wait([self = shared_from_this()](std::error_code ec) {
        if (!ec)
            self->close();
    });
}

void Connection::close() {
    m_state = State::Closing;
    std::error_code ec;
    m_deadline.cancel();
    m_socket.shutdown(tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
}

} // namespace

std::unique_ptr<AgentServer> AgentServer::start(const AgentServerConfig& config) {
    return std::make_unique<Server>(config);
}

} // namespace le
