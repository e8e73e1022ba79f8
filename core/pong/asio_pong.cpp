#include "asio_pong.h"

#include "asio_socket.h"
#include "datagram_echo.h"
#include "stamped_datagrams.h"
#include "start_thread.h"

#include <asio/basic_socket_acceptor.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
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
    DatagramEcho echo;   // the datagrams that wait behind the one just received (direct path)
    Nanos armed_for = 0; // the due time the timer waits for; 0 while it does not wait
    std::unique_ptr<StampedDatagrams> stamped; // measuring the residence: receives and echoes instead
};

namespace {

constexpr int kDrainBatches = 4; // DatagramEcho batches per received datagram (kMax each)

using StreamSocket = asio::generic::stream_protocol::socket;

Clock::time_point time_point_of(Nanos ns) {
    return Clock::time_point(std::chrono::nanoseconds(ns));
}

// One connection. All its handlers run on its socket's executor (a strand in a pool), so its state
// needs no lock. Measuring its residence, Asio's read gives no control messages: a one-byte peek
// (speculative, as Asio's read; a zero-byte one completes at once on a stream) says bytes wait,
// and recvmsg reads them with their RX stamp.
class Echo : public std::enable_shared_from_this<Echo> {
public:
    // The acceptor counted the connection in stats.active already (it reserves the slot).
    // `residence`: where its reads measure (none: not measured).
    Echo(StreamSocket socket, PongStats& stats, const Impairments& impairments, ResidenceLease residence)
        : m_socket(std::move(socket))
        , m_timer(m_socket.get_executor())
        , m_stats(stats)
        , m_line(impairments, DelayLine::Kind::Stream)
        , m_residence(std::move(residence))
        , m_meter(m_residence.recorder()) {}
    ~Echo() { m_stats.active--; }
    StreamSocket& socket() { return m_socket; }

    // Direct path: read what is there, write it back, read again. Never reading while a write is
    // pending is what bounds memory against a client that does not read.
    void read() {
        if (!m_line.bypass()) {
            read_delayed();
            return;
        }
        if (m_meter.on()) {
            peek(false);
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
    // Measuring: waits until bytes wait, then reads them with their stamp, into the buffer
    // (`delayed` false) or the delay queue. An error or EOF ends the connection as a read's would.
    void peek(bool delayed) {
        m_socket.async_receive(asio::buffer(m_peek), asio::socket_base::message_peek,
                               [self = shared_from_this(), delayed](std::error_code ec, std::size_t) {
                                   if (!ec)
                                       self->read_stamped(delayed);
                                   else if (delayed && ec != asio::error::eof)
                                       self->abort();
                               });
    }
    void read_stamped(bool delayed) {
        const std::span<std::byte> into = delayed ? m_line.room() : std::span<std::byte>(m_buffer);
        std::int64_t rx = 0;
        const ssize_t n = m_meter.recv(m_socket.native_handle(), into.data(), into.size(), MSG_DONTWAIT, rx);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            peek(delayed);
        } else if (n > 0 && !delayed) {
            write(static_cast<std::size_t>(n), rx);
        } else if (n > 0) {
            m_line.commit(static_cast<std::size_t>(n), now_ns(), nullptr, 0, rx);
            release();
            read();
        } else if (n < 0 && delayed) {
            abort(); // at EOF (0) the queued chunks are still echoed, as in read_delayed()
        }
    }

    // `rx`: the read's RX stamp, when measuring.
    void write(std::size_t n, std::int64_t rx = 0) {
        grow_if_full(n);
        const Nanos t_send = m_meter.send_begins();
        asio::async_write(m_socket, asio::buffer(m_buffer.data(), n),
                          [self = shared_from_this()](std::error_code ec, std::size_t written) {
                              if (ec)
                                  return;
                              self->m_stats.bytes += written;
                              if (!self->m_grown.empty()) // the echo is out: the old buffer is free
                                  self->m_buffer = std::exchange(self->m_grown, {});
                              self->read();
                          });
        m_meter.sent(rx, t_send); // the write began in the call (the reactor tries it at once)
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
        if (m_meter.on()) {
            peek(true);
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
        const Nanos t_send = m_meter.send_begins();
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
        if (m.starts) // the read's residence, its hold included
            m_meter.sent(m.stamp, t_send);
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
    ResidenceLease m_residence;
    ResidenceMeter m_meter;            // off unless the residence is measured
    std::array<std::byte, 1> m_peek{}; // measuring: the peek's target
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
            if (ResidenceRecorder* residence = residence_for(fd.get()))
                d->stamped = std::make_unique<StampedDatagrams>(fd.get(), residence, d->line, m_stats);
            d->socket.assign(protocol, fd.release());
            m_datagrams.push_back(std::move(d));
        } else {
            auto a = std::make_unique<Acceptor>(m_io);
            const auto protocol = stream_protocol_of(fd.get());
            m_acceptor_residence.push_back(
                m_endpoints[i].transport == Transport::Tcp ? residence_for(fd.get()) : nullptr);
            a->assign(protocol, fd.release());
            m_acceptors.push_back(std::move(a));
        }
    }
    for (std::size_t i = 0; i < m_acceptors.size(); ++i)
        accept(*m_acceptors[i], m_acceptor_residence[i]);
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

void AsioPong::accept(Acceptor& acceptor, ResidenceRecorder* residence) {
    acceptor.async_accept(new_executor(), [this, &acceptor, residence](std::error_code ec,
                                                                       StreamSocket socket) {
        if (ec == asio::error::operation_aborted || m_stopped) // stopped: a late accept closes at once
            return;
        if (ec) {
            // EMFILE and the like: back off briefly instead of spinning on a ready listener; the
            // other connections are served meanwhile.
            m_stats.accept_error.store(ec.value(), std::memory_order_relaxed);
            auto retry = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(10));
            retry->async_wait([this, &acceptor, residence, retry](std::error_code) {
                if (!m_stopped)
                    accept(acceptor, residence);
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
            // In a pool connections are served at once: each measures into a recorder of its own.
            ResidenceLease lease =
                residence_for_connection(socket.native_handle(), residence, m_thread_count > 1);
            auto echo = std::make_shared<Echo>(std::move(socket), m_stats, m_impairments, std::move(lease));
            {
                std::lock_guard lock(m_connections_mutex);
                std::erase_if(m_connections, [](auto& w) { return w.expired(); });
                m_connections.emplace_back(std::shared_ptr<StreamSocket>(
                    echo, &echo->socket())); // aliases the connection's lifetime
            }
            // Its first read starts on its own executor (its strand in a pool).
            asio::dispatch(echo->socket().get_executor(), [echo] { echo->read(); });
        }
        accept(acceptor, residence);
    });
}

void AsioPong::receive(Datagrams& d) {
    if (d.stamped) {
        receive_stamped(d);
        return;
    }
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
                    // Then every other datagram waiting, in batches (a few, so other sockets get
                    // their turn): one event-loop turn per datagram would cap the pong's rate.
                    for (int i = 0; i < kDrainBatches; ++i) {
                        const DatagramEcho::Result r = d.echo.echo(d.socket.native_handle(), false);
                        m_stats.bytes += r.bytes;
                        if (r.echoed < DatagramEcho::kMax)
                            break;
                    }
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

// Measuring the residence: Asio's receive gives no control messages, so a zero-byte peek says a
// datagram waits and StampedDatagrams reads it with its RX stamp (and those behind it,
// StampedDatagrams::kPerWake). A peek rather than async_wait: the epoll reactor tries a receive at once when
// an edge came while nothing waited (a pool thread's), where a wait would sleep until the next datagram.
void AsioPong::receive_stamped(Datagrams& d) {
    d.socket.async_receive(asio::mutable_buffer(), asio::socket_base::message_peek,
                           [this, &d](std::error_code ec, std::size_t) {
                               // Another error is an ICMP error from an earlier client: the read clears it.
                               if (ec == asio::error::operation_aborted || m_stopped)
                                   return;
                               d.stamped->drain(StampedDatagrams::kPerWake, false);
                               if (!d.line.empty())
                                   release(d);
                               receive_stamped(d);
                           });
}

// Sends the datagrams that are due and waits for the next one. Datagrams leave in order of due
// time, so a new one with a shorter hold may have to re-arm the timer earlier.
void AsioPong::release(Datagrams& d) {
    const Nanos now = now_ns();
    if (d.stamped)
        d.stamped->release_due(now); // each with its residence
    else
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
