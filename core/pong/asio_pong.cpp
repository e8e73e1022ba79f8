#include "asio_pong.h"

#include "asio_socket.h"
#include "start_thread.h"

#include <asio/basic_socket_acceptor.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

namespace le {

struct AsioPong::Datagrams {
    Datagrams(const asio::any_io_executor& executor, const Impairments& impairments)
        : socket(executor)
        , timer(executor)
        , line(impairments, DelayLine::Kind::Datagram) {}
    DatagramSocket socket;
    asio::steady_timer timer; // releases the delay queue
    DelayLine line;
    asio::generic::datagram_protocol::endpoint from;
    std::vector<std::byte> buffer = std::vector<std::byte>(kMaxUdpPayload + 1);
    Nanos armed_for = 0; // the due time the timer waits for; 0 while it does not wait
};

namespace {

using StreamSocket = asio::generic::stream_protocol::socket;

Clock::time_point time_point_of(Nanos ns) {
    return Clock::time_point(std::chrono::nanoseconds(ns));
}

// One connection. All its handlers run on its socket's executor (a strand in a pool), so its state
// needs no lock.
class Echo : public std::enable_shared_from_this<Echo> {
public:
    // The acceptor counted the connection in stats.active already (it reserves the slot).
    Echo(StreamSocket socket, PongStats& stats, const Impairments& impairments)
        : m_socket(std::move(socket))
        , m_timer(m_socket.get_executor())
        , m_stats(stats)
        , m_line(impairments, DelayLine::Kind::Stream) {}
    ~Echo() { m_stats.active--; }
    StreamSocket& socket() { return m_socket; }

    // Direct path: read what is there, write it back, read again. Never reading while a write is
    // pending is what bounds memory against a client that does not read.
    void read() {
        if (!m_line.bypass()) {
            read_delayed();
            return;
        }
        m_socket.async_read_some(asio::buffer(m_buffer),
                                 [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                     if (!ec)
                                         self->write(n);
                                 });
    }

    // A connection's buffer starts small (thousands of idle connections cost kilobytes each, not
    // kPongChunk) and doubles, up to kPongChunk, each time a read fills it: a few times per
    // connection at most, never per message.
    void grow_if_full(std::size_t n) {
        if (n == m_buffer.size() && m_buffer.size() < kPongChunk)
            m_grown = std::vector<std::byte>(std::min(2 * m_buffer.size(), kPongChunk));
    }

private:
    void write(std::size_t n) {
        grow_if_full(n);
        asio::async_write(m_socket, asio::buffer(m_buffer.data(), n),
                          [self = shared_from_this()](std::error_code ec, std::size_t written) {
                              if (ec)
                                  return;
                              self->m_stats.bytes += written;
                              if (!self->m_grown.empty()) // the echo is out: the old buffer is free
                                  self->m_buffer = std::exchange(self->m_grown, {});
                              self->read();
                          });
    }

    // Delayed path (impairments on): reads go into the delay queue and go on while it has room, so
    // a client that does not read fills its own queue and is then no longer read (back-pressure,
    // as on the direct path). A timer releases the chunks when due, one write at a time, in order.
    void read_delayed() {
        const std::span<std::byte> room = m_line.room();
        if (room.empty()) {
            m_read_paused = true; // resumed by the write that frees room
            return;
        }
        m_socket.async_read_some(asio::buffer(room.data(), room.size()),
                                 [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                     if (ec) {
                                         // At EOF the queued chunks are still echoed; the last
                                         // handler holding the connection then closes it.
                                         if (ec != asio::error::eof)
                                             self->abort();
                                         return;
                                     }
                                     self->m_line.commit(n, now_ns());
                                     self->release();
                                     self->read();
                                 });
    }

    void release() {
        if (m_writing || m_line.empty())
            return;
        const Nanos due = m_line.next_due();
        if (due > now_ns()) {
            // A stream's chunks leave in order, so the head's due time only grows: one wait at a time.
            if (!m_timer_armed) {
                m_timer_armed = true;
                m_timer.expires_at(time_point_of(due));
                m_timer.async_wait([self = shared_from_this()](std::error_code ec) {
                    self->m_timer_armed = false;
                    if (!ec)
                        self->release();
                });
            }
            return;
        }
        const DelayLine::Message m = m_line.front();
        m_writing = true;
        asio::async_write(m_socket, asio::buffer(m.data, m.size),
                          [self = shared_from_this()](std::error_code ec, std::size_t written) {
                              self->m_writing = false;
                              if (ec) {
                                  self->abort();
                                  return;
                              }
                              self->m_stats.bytes += written;
                              self->m_line.consumed(written);
                              if (self->m_read_paused) {
                                  self->m_read_paused = false;
                                  self->read();
                              }
                              self->release();
                          });
    }

    // Ends the connection: the pending read, write and wait complete with errors and drop their
    // references, and the last one destroys it.
    void abort() {
        std::error_code ignored;
        m_timer.cancel();
        m_socket.close(ignored);
    }

    StreamSocket m_socket;
    asio::steady_timer m_timer;
    PongStats& m_stats;
    DelayLine m_line;
    bool m_writing = false;
    bool m_read_paused = false;
    bool m_timer_armed = false;
    std::vector<std::byte> m_buffer = std::vector<std::byte>(kInitialBuffer);
    std::vector<std::byte> m_grown; // the next, larger buffer while the echo in m_buffer is written
    static constexpr std::size_t kInitialBuffer = 4096;
};

} // namespace

int AsioPong::pool_threads() {
    return static_cast<int>(std::max(2U, std::thread::hardware_concurrency()));
}

AsioPong::AsioPong(const PongConfig& config, int threads)
    : PongBase(config)
    , m_thread_count(std::max(1, threads))
    , m_tasks(m_io, m_params, m_thread_count) {
    std::vector<Fd> sockets = bind_endpoints();
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        Fd& fd = sockets[i];
        if (m_endpoints[i].transport == Transport::Udp) {
            auto d = std::make_unique<Datagrams>(new_executor(), m_impairments);
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
    m_tasks.update(); // queued: runs once the threads do
    try {
        for (int i = 0; i < m_thread_count; ++i)
            m_threads.push_back(start_thread("the asio pong", [this] { m_io.run(); }));
    } catch (...) {
        stop(); // joins what started: no std::terminate for a thread left running
        throw;
    }
}

AsioPong::~AsioPong() {
    stop();
}

asio::any_io_executor AsioPong::new_executor() {
    if (m_thread_count > 1)
        return asio::make_strand(m_io);
    return m_io.get_executor();
}

void AsioPong::stop() {
    if (m_stopped.exchange(true))
        return;
    // No compute task starts work from here on (a flag), so the threads end promptly. End them
    // (each finishes the handler it is in), then close everything from here: with no thread left
    // in the io_context nothing can race, strands or not. The handlers still queued are destroyed
    // unrun with the io_context.
    m_tasks.stop();
    m_io.stop();
    for (auto& t : m_threads)
        t.join();
    m_threads.clear();
    std::error_code ignored;
    {
        std::lock_guard lock(m_connections_mutex);
        for (auto& weak : m_connections)
            if (auto socket = weak.lock())
                socket->close(ignored);
        m_connections.clear();
    }
    for (auto& a : m_acceptors)
        a->close(ignored);
    for (auto& d : m_datagrams) {
        d->socket.close(ignored);
        d->timer.cancel();
    }
#ifdef LE_ASIO_URING
    // Asio 1.22's io_uring backend destroys the operations still queued on a closed socket after
    // the socket service they refer to: a pending accept then destroys its peer socket through a
    // freed service (ASan, at shutdown). Let the cancellations complete while everything is alive;
    // bounded, so a completion the kernel never posts cannot hold the stop.
    m_io.restart();
    m_io.run_for(std::chrono::milliseconds(200));
#endif
    m_acceptors.clear();
    m_datagrams.clear();
    remove_socket_files();
}

void AsioPong::accept(Acceptor& acceptor) {
    acceptor.async_accept(new_executor(), [this, &acceptor](std::error_code ec, StreamSocket socket) {
        if (ec == asio::error::operation_aborted || m_stopped) // stopped: a late accept closes at once
            return;
        if (ec) {
            // EMFILE and the like: back off briefly instead of spinning on a ready listener; the
            // other connections are served meanwhile.
            m_stats.accept_error.store(ec.value(), std::memory_order_relaxed);
            auto retry = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(10));
            retry->async_wait([this, &acceptor, retry](std::error_code) {
                if (!m_stopped)
                    accept(acceptor);
            });
            return;
        }
        m_stats.accept_error.store(0, std::memory_order_relaxed);
        // Reserve the slot before taking the connection: in a pool, acceptors of several endpoints
        // may race for the last one.
        if (m_stats.active.fetch_add(1) >= m_config.max_connections) {
            m_stats.active--;
            m_stats.refused++; // `socket` closes at once: the client sees EOF rather than a hang
        } else {
            m_stats.accepted++;
            if (socket.local_endpoint().protocol().family() != AF_UNIX)
                set_nodelay(socket.native_handle());
            auto echo = std::make_shared<Echo>(std::move(socket), m_stats, m_impairments);
            {
                std::lock_guard lock(m_connections_mutex);
                std::erase_if(m_connections, [](auto& w) { return w.expired(); });
                m_connections.emplace_back(std::shared_ptr<StreamSocket>(
                    echo, &echo->socket())); // aliases the connection's lifetime
            }
            // Its first read starts on its own executor (its strand in a pool).
            asio::dispatch(echo->socket().get_executor(), [echo] { echo->read(); });
        }
        accept(acceptor);
    });
}

void AsioPong::receive(Datagrams& d) {
    // Direct: into the endpoint's buffer and straight back. Delayed: into the delay queue, or into
    // the buffer to be dropped and counted when the queue is full.
    const bool direct = d.line.bypass();
    std::span<std::byte> target = direct ? std::span<std::byte>{} : d.line.room();
    const bool queued = !target.empty();
    if (!queued)
        target = d.buffer;
    d.socket.async_receive_from(
        asio::buffer(target.data(), target.size()), d.from,
        [this, &d, direct, queued](std::error_code ec, std::size_t n) {
            if (ec == asio::error::operation_aborted)
                return;
            // An error is e.g. ICMP unreachable from an earlier client: not fatal for the others.
            if (!ec) {
                if (direct) {
                    std::error_code send_ec;
                    // Synchronous: a UDP send waits only while the socket buffer is full, and briefly.
                    d.socket.send_to(asio::buffer(d.buffer.data(), n), d.from, 0, send_ec);
                    if (!send_ec)
                        m_stats.bytes += n;
                } else if (!queued || !d.line.commit(n, now_ns(), static_cast<const sockaddr*>(d.from.data()),
                                                     static_cast<socklen_t>(d.from.size()))) {
                    m_stats.dropped++;
                } else {
                    release(d);
                }
            }
            receive(d);
        });
}

// Sends the datagrams that are due and waits for the next one. Datagrams leave in order of due
// time, so a new one with a shorter hold may have to re-arm the timer earlier.
void AsioPong::release(Datagrams& d) {
    const Nanos now = now_ns();
    while (!d.line.empty() && d.line.next_due() <= now) {
        const DelayLine::Message m = d.line.front();
        std::error_code ec;
        d.socket.send_to(asio::buffer(m.data, m.size),
                         asio::generic::datagram_protocol::endpoint(m.to, m.to_len), 0, ec);
        if (!ec)
            m_stats.bytes += m.size;
        d.line.consumed(m.size);
    }
    if (d.line.empty())
        return;
    const Nanos due = d.line.next_due();
    if (d.armed_for != 0 && d.armed_for <= due)
        return; // the pending wait comes first
    d.armed_for = due;
    d.timer.expires_at(time_point_of(due)); // cancels a later wait
    d.timer.async_wait([this, &d, due](std::error_code ec) {
        if (ec)
            return; // re-armed earlier, or stopping
        if (d.armed_for == due)
            d.armed_for = 0;
        release(d);
    });
}

#ifdef LE_ASIO_URING // only in the asio-uring copy of this file
std::unique_ptr<PongServer> make_asio_uring_pong(const PongConfig& config) {
    return std::make_unique<AsioPong>(config);
}
#endif

} // namespace le
