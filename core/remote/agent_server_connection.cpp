#include "agent_server_connection.h"

#include "agent_protocol.h"

#include <asio/write.hpp>

#include <fmt/format.h>

#include <chrono>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace le {

using asio::ip::tcp;

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

} // namespace

AgentServerConnection::AgentServerConnection(tcp::socket socket, const AgentServerConfig& config,
                                             const HostFacts& facts, AgentEndpointTable& endpoints,
                                             std::atomic<int>& connections)
    : m_socket(std::move(socket))
    , m_deadline(m_socket.get_executor())
    , m_connections(connections)
    , m_auth_timeout(config.auth_timeout)
    , m_handler(config, facts, endpoints, peer_name(m_socket)) {}

AgentServerConnection::~AgentServerConnection() {
    m_connections--;
}

void AgentServerConnection::start() {
    set_keepalive(m_socket);
    m_deadline.expires_after(std::chrono::nanoseconds(m_auth_timeout));
    m_deadline.async_wait([self = shared_from_this()](std::error_code ec) {
        if (!ec)
            self->apply(self->m_handler.timed_out());
    });
    read();
}

void AgentServerConnection::evict(const std::string& why) {
    if (m_closing)
        return;
    const auto reply = m_handler.refuse(agent_code::kBusy, why);
    std::error_code ec;
    for (const auto& message : reply.messages) { // best effort, without waiting: the slot is needed now
        const std::string line = encode_agent_message(message);
        m_socket.non_blocking(true, ec);
        m_socket.write_some(asio::buffer(line), ec);
    }
    close();
}

void AgentServerConnection::read() {
    if (m_reading || m_closing)
        return;
    m_reading = true;
    m_socket.async_read_some(asio::buffer(m_chunk),
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                 self->m_reading = false;
                                 if (ec) {
                                     if (!self->m_closing)
                                         self->close();
                                     return;
                                 }
                                 self->on_read(n);
                             });
}

void AgentServerConnection::on_read(std::size_t n) {
    m_last_heard = now_ns();
    std::string_view data(m_chunk.data(), n);
    while (!data.empty() && !m_closing) {
        const auto nl = data.find('\n');
        const std::string_view part = data.substr(0, nl);
        if (m_line.size() + part.size() > kAgentMaxLine + 1) { // +1: a '\r' before the '\n'
            apply(m_handler.refuse(
                agent_code::kBadMessage,
                fmt::format("message longer than the limit of {} bytes; closing", kAgentMaxLine)));
            return;
        }
        m_line.append(part);
        if (nl == std::string_view::npos)
            break;
        data.remove_prefix(nl + 1);
        const std::string line = std::move(m_line);
        m_line.clear();
        const bool was_authenticated = m_handler.authenticated();
        apply(m_handler.handle(line));
        // Authenticated: the handshake's deadline is off (its handler holds this connection).
        if (!was_authenticated && m_handler.authenticated())
            m_deadline.cancel();
    }
    if (!m_closing && m_out_bytes < kMaxQueuedBytes)
        read();
}

void AgentServerConnection::apply(AgentRequestHandler::Reply reply) {
    if (m_closing)
        return;
    for (const auto& message : reply.messages)
        send(message);
    if (!reply.close)
        return;
    m_closing = true;
    // A peer that does not read its refusal does not hold the slot for long.
    m_deadline.cancel();
    m_deadline.expires_after(kLingerOnClose);
    m_deadline.async_wait([self = shared_from_this()](std::error_code ec) {
        if (!ec)
            self->close();
    });
}

void AgentServerConnection::send(const nlohmann::json& message) {
    std::string line = encode_agent_message(message);
    m_out_bytes += line.size();
    m_out.push_back(std::move(line));
    if (!m_writing)
        write_next();
}

void AgentServerConnection::write_next() {
    if (m_out.empty()) {
        if (m_closing) {
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

void AgentServerConnection::close() {
    m_closing = true;
    std::error_code ec;
    m_deadline.cancel();
    m_socket.shutdown(tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
}

} // namespace le
