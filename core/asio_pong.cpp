#include "asio_pong.h"

#include "asio_socket.h"

#include <asio/basic_socket_acceptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

namespace le {

struct AsioPong::Datagrams {
    explicit Datagrams(asio::io_context& io)
        : socket(io) {}
    DatagramSocket socket;
    asio::generic::datagram_protocol::endpoint from;
    std::vector<std::byte> buffer = std::vector<std::byte>(kMaxUdpPayload + 1);
};

namespace {

// One connection: read what is there, write it back, read again. Never reading while a write is
// pending is what bounds memory against a client that does not read.
class Echo : public std::enable_shared_from_this<Echo> {
public:
    Echo(asio::generic::stream_protocol::socket socket, PongStats& stats)
        : m_socket(std::move(socket))
        , m_stats(stats) {
        m_stats.accepted++;
        m_stats.active++;
    }
    ~Echo() { m_stats.active--; }
    asio::generic::stream_protocol::socket& socket() { return m_socket; }

    void read() {
        m_socket.async_read_some(asio::buffer(m_buffer),
                                 [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                     if (!ec)
                                         self->write(n);
                                 });
    }

private:
    void write(std::size_t n) {
        asio::async_write(m_socket, asio::buffer(m_buffer.data(), n),
                          [self = shared_from_this()](std::error_code ec, std::size_t written) {
                              if (ec)
                                  return;
                              self->m_stats.bytes += written;
                              self->read();
                          });
    }

    asio::generic::stream_protocol::socket m_socket;
    PongStats& m_stats;
    std::vector<std::byte> m_buffer = std::vector<std::byte>(kPongChunk);
};

} // namespace

AsioPong::AsioPong(const PongConfig& config)
    : m_config(config)
    , m_tasks(m_io, m_params) {
    m_params.tasks = config.tasks;
    m_params.task_work = config.task_work;
    m_params.task_period = config.task_period;
    for (const Endpoint& ep : config.listen) {
        Fd fd = listen_on(ep);
        m_endpoints.push_back(local_endpoint(fd.get(), ep.transport));
        if (ep.transport == Transport::Unix)
            m_endpoints.back().path = ep.path;
        if (ep.transport == Transport::Udp) {
            auto d = std::make_unique<Datagrams>(m_io);
            const auto protocol = datagram_protocol_of(fd.get());
            d->socket.assign(protocol, fd.release());
            m_datagrams.push_back(std::move(d));
        } else {
            auto a = std::make_unique<Acceptor>(m_io);
            const auto protocol = stream_protocol_of(fd.get());
            a->assign(protocol, fd.release());
            m_acceptors.push_back(std::move(a));
        }
    }
    for (auto& a : m_acceptors)
        accept(*a);
    for (auto& d : m_datagrams)
        receive(*d);
    asio::post(m_io, [this] { m_tasks.update(); });
    m_thread = std::thread([this] { m_io.run(); });
}

AsioPong::~AsioPong() {
    stop();
}

void AsioPong::stop() {
    if (m_stopped)
        return;
    m_stopped = true;
    // Close every socket on the io thread (the only one that touches them), then end it.
    asio::post(m_io, [this] {
        std::error_code ignored;
        for (auto& weak : m_connections)
            if (auto socket = weak.lock())
                socket->close(ignored);
        for (auto& a : m_acceptors)
            a->close(ignored);
        for (auto& d : m_datagrams)
            d->socket.close(ignored);
        m_tasks.stop();
        m_io.stop();
    });
    if (m_thread.joinable())
        m_thread.join();
    m_acceptors.clear();
    m_datagrams.clear();
    for (const Endpoint& ep : m_endpoints)
        remove_socket_file(ep);
}

void AsioPong::accept(Acceptor& acceptor) {
    acceptor.async_accept(
        [this, &acceptor](std::error_code ec, asio::generic::stream_protocol::socket socket) {
            if (ec == asio::error::operation_aborted)
                return;
            if (!ec) {
                if (m_stats.active.load() >= m_config.max_connections) {
                    m_stats.refused++; // closed at once: the client sees EOF rather than a hang
                } else {
                    if (socket.local_endpoint().protocol().family() != AF_UNIX)
                        set_nodelay(socket.native_handle());
                    auto echo = std::make_shared<Echo>(std::move(socket), m_stats);
                    std::erase_if(m_connections, [](auto& w) { return w.expired(); });
                    m_connections.emplace_back(std::shared_ptr<asio::generic::stream_protocol::socket>(
                        echo, &echo->socket())); // aliases the connection's lifetime
                    echo->read();
                }
            } else {
                // EMFILE and the like: back off briefly instead of spinning on a ready listener;
                // the other connections are served meanwhile.
                auto retry = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(10));
                retry->async_wait([this, &acceptor, retry](std::error_code) {
                    if (!m_stopped)
                        accept(acceptor);
                });
                return;
            }
            accept(acceptor);
        });
}

void AsioPong::receive(Datagrams& d) {
    d.socket.async_receive_from(
        asio::buffer(d.buffer), d.from, [this, &d](std::error_code ec, std::size_t n) {
            if (ec == asio::error::operation_aborted)
                return;
            if (ec) { // e.g. ICMP unreachable from an earlier client: not fatal for the others
                receive(d);
                return;
            }
            std::error_code send_ec;
            // Synchronous: a UDP send waits only while the socket buffer is full, and then briefly.
            d.socket.send_to(asio::buffer(d.buffer.data(), n), d.from, 0, send_ec);
            if (!send_ec)
                m_stats.bytes += n;
            receive(d);
        });
}

} // namespace le
