#include "spin_pong.h"

#include "blocking_io.h"
#include "datagram_echo.h"
#include "poll_io.h"

#include <algorithm>
#include <cerrno>

#include <sched.h>
#include <sys/socket.h>

namespace le {
namespace {

constexpr int kAcceptBurst = 64;   // accepts per listener per pass
constexpr int kDatagramBurst = 16; // datagrams per UDP endpoint per pass: a flood does not starve the rest
constexpr Nanos kAcceptPause = 10 * kNanosPerMilli;
// Socket polls between two looks at the listeners, and idle socket polls before the core is offered
// to another thread (see run()). A pass counts one poll per connection and UDP endpoint, at least 1.
constexpr std::size_t kPollsPerAccept = 64;
constexpr std::size_t kIdlePollsPerYield = 64;
// With UDP GRO on, single reads in a row finding one datagram each before it goes off again.
constexpr std::uint32_t kSingleReadsBeforeGroOff = 1024;

} // namespace

struct SpinPong::Connection {
    Connection(Fd f, const Impairments& impairments, ResidenceRecorder* residence)
        : fd(std::move(f))
        , line(impairments, DelayLine::Kind::Stream)
        , meter(residence) {}
    Fd fd;
    // for_overwrite: a connection that only ever sends a few bytes touches one page, not 64 KiB.
    std::unique_ptr<std::byte[]> buffer = std::make_unique_for_overwrite<std::byte[]>(kPongChunk);
    std::size_t sent = 0;       // direct path: bytes of the last read already echoed ...
    std::size_t pending = 0;    // ... and still to echo; nothing is read until they are out
    DelayLine line;             // delayed path (impairments on)
    bool eof = false;           // delayed path: the client half-closed; close once the queue is out
    ResidenceMeter meter;       // off unless the residence is measured
    bool unsent = false;        // measuring: the last read's echo has not begun (the socket was full) ...
    std::int64_t unsent_rx = 0; // ... and that read's RX stamp
};

struct SpinPong::Datagrams {
    Datagrams(Fd f, const Impairments& impairments, ResidenceRecorder* residence)
        : fd(std::move(f))
        , line(impairments, DelayLine::Kind::Datagram)
        , meter(residence) {}
    Fd fd; // blocking, received from with MSG_DONTWAIT: a UDP send only waits on a full socket buffer
    std::vector<std::byte> buffer = std::vector<std::byte>(kMaxUdpPayload + 1);
    DatagramEcho echo; // the direct path (no impairments), once datagrams queue up
    DelayLine line;
    ResidenceMeter meter; // off unless the residence is measured
    // The direct path reads in batches (recvmmsg) while datagrams queue up, one at a time otherwise.
    bool batching = false;
    bool got_last_pass = false;     // one at a time: the last pass found a datagram
    bool gro = false;               // UDP GRO is on (once datagrams queued up, until gro_off())
    bool gro_works = true;          // the kernel took UDP_GRO (or it was never tried)
    bool gso = true;                // the kernel takes UDP GSO sends (for echoes read with GRO)
    std::uint32_t single_reads = 0; // with GRO: single reads in a row that found one datagram
};

SpinPong::SpinPong(const PongConfig& config)
    : PongBase(config) {
    std::vector<Fd> sockets = bind_endpoints();
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        if (m_endpoints[i].transport == Transport::Udp) {
            ResidenceRecorder* residence = residence_for(sockets[i].get());
            m_datagrams.push_back(
                std::make_unique<Datagrams>(std::move(sockets[i]), m_impairments, residence));
        } else {
            set_nonblocking(sockets[i].get(), true);
            m_listener_residence.push_back(
                m_endpoints[i].transport == Transport::Tcp ? residence_for(sockets[i].get()) : nullptr);
            m_listeners.push_back(std::move(sockets[i]));
        }
    }
    m_tasks = std::make_unique<ThreadTasks>(m_params);
    m_thread = std::thread([this] { run(); });
}

SpinPong::~SpinPong() {
    stop();
}

void SpinPong::stop() {
    if (m_stop.exchange(true))
        return;
    if (m_thread.joinable())
        m_thread.join(); // a pass takes microseconds (a millisecond with 1000 connections)
    m_stats.active -= static_cast<std::int64_t>(m_connections.size());
    m_connections.clear();
    m_datagrams.clear();
    m_listeners.clear();
    m_tasks.reset();
    remove_socket_files();
}

void SpinPong::run() {
    std::size_t polls_since_accept = kPollsPerAccept; // the first pass accepts
    std::size_t idle_polls = 0;
    while (!m_stop.load(std::memory_order_relaxed)) {
        // The listeners are looked at every kPollsPerAccept socket polls, not every pass: an empty
        // accept is a system call, and one per pass would double the time an echo waits for the
        // next poll of its socket. A new connection waits some tens of microseconds more for its
        // accept (the kernel has completed its handshake already), or a pass, when a pass polls
        // more sockets than that.
        const std::size_t polls = std::max<std::size_t>(1, m_connections.size() + m_datagrams.size());
        polls_since_accept += polls;
        if (polls_since_accept >= kPollsPerAccept &&
            (m_accept_pause_until == 0 || now_ns() >= m_accept_pause_until)) {
            polls_since_accept = 0;
            m_accept_pause_until = 0;
            for (std::size_t l = 0; l < m_listeners.size(); ++l)
                accept_all(m_listeners[l].get(), m_listener_residence[l]);
        }
        for (auto& d : m_datagrams)
            serve(*d);
        for (std::size_t i = 0; i < m_connections.size();) {
            if (serve(*m_connections[i])) {
                ++i;
                continue;
            }
            // Over: closed by its destructor; the last one takes its place (no order to keep).
            m_connections[i] = std::move(m_connections.back());
            m_connections.pop_back();
            m_stats.active--;
        }
        // Once nothing has moved for kIdlePollsPerYield polls, the core goes to another thread if one
        // is waiting for it (the ping in the same process, a compute task, anything on a shared
        // core) instead of being held for a whole time slice while that thread may be the one that
        // sends the next message. Still no sleep: the thread stays runnable and has the core back at
        // once when nobody else wants it. Not on every idle pass: that system call would double
        // the time an arriving message waits for the next poll of its socket.
        idle_polls = m_worked ? 0 : idle_polls + polls;
        if (idle_polls >= kIdlePollsPerYield) {
            sched_yield();
            idle_polls = 0;
        }
        m_worked = false;
    }
}

void SpinPong::accept_all(int listen_fd, ResidenceRecorder* residence) {
    for (int i = 0; i < kAcceptBurst; ++i) {
        Fd client(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!client) {
            // EMFILE and friends: pause accepting instead of retrying every pass; the open
            // connections are served meanwhile.
            if (!would_block(errno) && errno != ECONNABORTED) {
                m_stats.accept_error.store(errno, std::memory_order_relaxed);
                m_accept_pause_until = now_ns() + kAcceptPause;
            }
            return;
        }
        m_stats.accept_error.store(0, std::memory_order_relaxed);
        m_worked = true;
        if (m_stats.active.load(std::memory_order_relaxed) >= m_config.max_connections) {
            m_stats.refused++;
            continue; // closed at once: the client sees EOF instead of a silent hang
        }
        set_nodelay(client.get()); // a no-op error on unix sockets
        m_stats.accepted++;
        m_stats.active++;
        ResidenceRecorder* shared = residence_for_connection(client.get(), residence, false).recorder();
        m_connections.push_back(std::make_unique<Connection>(std::move(client), m_impairments, shared));
    }
}

// One pass over one connection: finish the echo it is owed, else read once and echo at once.
bool SpinPong::serve(Connection& c) {
    const int fd = c.fd.get();
    if (c.pending > 0) {
        const Nanos t_send = c.unsent ? c.meter.send_begins() : 0;
        const ssize_t n = poll_send(fd, c.buffer.get() + c.sent, c.pending, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            if (c.unsent) { // this call began the echo of the last read
                c.meter.sent(c.unsent_rx, t_send);
                c.unsent = false;
            }
            c.sent += static_cast<std::size_t>(n);
            c.pending -= static_cast<std::size_t>(n);
            count_bytes(static_cast<std::size_t>(n));
            m_worked = true;
        } else if (n < 0 && !would_block(errno)) {
            return false;
        }
        if (c.pending > 0)
            return true; // the client is not reading: neither do we (back-pressure)
    }
    if (!c.line.bypass())
        return serve_delayed(c);
    std::int64_t rx = 0;
    const ssize_t n = c.meter.on() ? c.meter.recv(fd, c.buffer.get(), kPongChunk, MSG_DONTWAIT, rx)
                                   : poll_recv(fd, c.buffer.get(), kPongChunk, MSG_DONTWAIT);
    if (n == 0)
        return false; // EOF: all echoed already
    if (n < 0)
        return would_block(errno);
    m_worked = true;
    const Nanos t_send = c.meter.send_begins();
    const ssize_t w = poll_send(fd, c.buffer.get(), static_cast<std::size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && !would_block(errno))
        return false;
    if (c.meter.on()) {
        if (w > 0)
            c.meter.sent(rx, t_send);
        else { // nothing went: the echo begins with the send that gets the first byte out
            c.unsent = true;
            c.unsent_rx = rx;
        }
    }
    c.sent = w > 0 ? static_cast<std::size_t>(w) : 0;
    c.pending = static_cast<std::size_t>(n) - c.sent;
    count_bytes(c.sent);
    return true;
}

// With impairments: send what is due (as far as the client's window takes it), then read once into
// the delay queue while it has room. A full queue stops reading this connection only.
bool SpinPong::serve_delayed(Connection& c) {
    const int fd = c.fd.get();
    const Nanos now = now_ns();
    while (!c.line.empty() && c.line.next_due() <= now) {
        const DelayLine::Message m = c.line.front();
        const Nanos t_send = c.meter.send_begins();
        const ssize_t n = ::send(fd, m.data, m.size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            if (m.starts) // the read's residence, its hold included
                c.meter.sent(m.stamp, t_send);
            count_bytes(static_cast<std::size_t>(n));
            c.line.consumed(static_cast<std::size_t>(n));
            m_worked = true;
        } else if (n < 0 && would_block(errno)) {
            break;
        } else {
            return false;
        }
    }
    if (c.eof)
        return !c.line.empty(); // half-closed: close once everything is echoed
    const std::span<std::byte> room = c.line.room();
    if (room.empty())
        return true;
    std::int64_t rx = 0;
    const ssize_t n = c.meter.recv(fd, room.data(), room.size(), MSG_DONTWAIT, rx);
    if (n > 0) {
        c.line.commit(static_cast<std::size_t>(n), now_ns(), nullptr, 0, rx);
        m_worked = true;
    } else if (n == 0) {
        c.eof = true;
        return !c.line.empty();
    } else if (!would_block(errno)) {
        return false;
    }
    return true;
}

void SpinPong::serve(Datagrams& d) {
    const int fd = d.fd.get();
    if (!d.line.empty()) {
        const Nanos now = now_ns();
        while (!d.line.empty() && d.line.next_due() <= now) {
            const DelayLine::Message m = d.line.front();
            const Nanos t_send = d.meter.send_begins();
            if (::sendto(fd, m.data, m.size, MSG_NOSIGNAL, m.to, m.to_len) == static_cast<ssize_t>(m.size))
                count_bytes(m.size);
            d.meter.sent(m.stamp, t_send);
            d.line.consumed(m.size);
            m_worked = true;
        }
    }
    // The direct path. While datagrams come one at a time (a closed loop has one in flight), one per
    // pass with the plain calls, as a minimal busy poller does: a batch receive costs more on every
    // empty poll (recvmmsg copies its header in) and tries a second receive after the first datagram,
    // ~3 % of a 7 us loopback round trip. Once they queue up (a datagram on two passes in a row),
    // every datagram waiting (up to a batch) in one call each way, until a batch finds at most one.
    // Measuring the residence, one at a time below, each with its RX stamp.
    if (d.line.bypass() && !d.meter.on()) {
        if (d.batching) {
            const DatagramEcho::Result r = d.echo.echo(fd, false);
            if (r.echoed > 0) {
                m_worked = true;
                count_bytes(r.bytes);
            }
            // UDP GRO once datagrams queue up: a sender's GSO batch then comes as one buffer instead
            // of being cut apart on its way in, on the sender's CPU (at 300k msg/s from an open-loop
            // ping, a seventh of the ping's CPU). The kernel gives a buffer's segment size only to
            // reads made while GRO is on, so a read after turning it off could take a batch queued
            // before for one datagram: the single reads below and the delayed path read with the
            // segment size while it is on, and it goes off only with nothing queued (gro_off()).
            d.batching = r.echoed > 1;
            if (d.batching && !d.gro && d.gro_works)
                d.gro = d.gro_works = set_udp_gro(fd, true);
            d.got_last_pass = false;
            return;
        }
        if (d.gro) {
            serve_single_gro(d);
            return;
        }
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        const ssize_t n = poll_recvfrom(fd, d.buffer.data(), d.buffer.size(), MSG_DONTWAIT,
                                        reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) { // nothing waiting, or an ICMP error from an earlier client: the next pass goes on
            d.got_last_pass = false;
            return;
        }
        m_worked = true;
        if (poll_sendto(fd, d.buffer.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&from), len) == n)
            count_bytes(static_cast<std::size_t>(n));
        d.batching = d.got_last_pass;
        d.got_last_pass = true;
        return;
    }
    if (d.gro) {
        queue_gro(d);
        return;
    }
    for (int i = 0; i < kDatagramBurst; ++i) {
        // Direct: into the endpoint's buffer and straight back. Delayed: into the delay queue, or
        // into the buffer to be dropped and counted when the queue is full.
        const bool direct = d.line.bypass();
        std::span<std::byte> target = direct ? std::span<std::byte>{} : d.line.room();
        const bool queued = !target.empty();
        if (!queued)
            target = d.buffer;
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        std::int64_t rx = 0;
        const ssize_t n = d.meter.on() ? d.meter.recvfrom(fd, target.data(), target.size(), MSG_DONTWAIT,
                                                          reinterpret_cast<sockaddr*>(&from), &len, rx)
                                       : poll_recvfrom(fd, target.data(), target.size(), MSG_DONTWAIT,
                                                       reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue; // an ICMP error from an earlier client: keep serving
        }
        m_worked = true;
        const auto* to = reinterpret_cast<const sockaddr*>(&from);
        if (direct) {
            const Nanos t_send = d.meter.send_begins();
            if (poll_sendto(fd, target.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL, to, len) == n)
                count_bytes(static_cast<std::size_t>(n));
            d.meter.sent(rx, t_send);
        } else if (!queued || !d.line.commit(static_cast<std::size_t>(n), now_ns(), to, len, rx)) {
            m_stats.dropped++;
        }
    }
}

// The direct path's single read with UDP GRO on: a buffer of several datagrams goes back as the
// same datagrams.
void SpinPong::serve_single_gro(Datagrams& d) {
    const int fd = d.fd.get();
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    std::size_t segment = 0;
    const ssize_t n = recv_datagrams(fd, d.buffer.data(), d.buffer.size(), from, len, segment);
    if (n < 0) {
        d.got_last_pass = false;
        // One datagram at a time for a while (a closed loop after an open one), and none waiting
        // now: back to the plain reads, whose calls cost a closed loop less (1.5 % of its round
        // trips here).
        if (d.single_reads >= kSingleReadsBeforeGroOff)
            gro_off(d);
        return;
    }
    m_worked = true;
    const auto* to = reinterpret_cast<const sockaddr*>(&from);
    const auto size = static_cast<std::size_t>(n);
    if (segment < size)
        count_bytes(echo_segments(fd, d.buffer.data(), size, segment, to, len, d.gso));
    else if (poll_sendto(fd, d.buffer.data(), size, MSG_NOSIGNAL, to, len) == n)
        count_bytes(size);
    d.batching = d.got_last_pass || segment < size;
    d.got_last_pass = true;
    d.single_reads = segment < size ? 0 : d.single_reads + 1;
}

// Turns UDP GRO off if nothing is queued once it is off; else back on, for the reads to come (what
// is queued may have been kept together while it was on). An empty datagram queued counts as
// something: a peek tells it from an empty queue.
void SpinPong::gro_off(Datagrams& d) {
    const int fd = d.fd.get();
    d.single_reads = 0;
    if (!set_udp_gro(fd, false))
        return;
    std::byte probe{};
    if (::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && would_block(errno))
        d.gro = false;
    else
        set_udp_gro(fd, true);
}

// The delayed path with UDP GRO on (impairments set after it was turned on; the residence is never
// measured with it): each datagram of a buffer is its own message in the delay queue.
void SpinPong::queue_gro(Datagrams& d) {
    for (int i = 0; i < kDatagramBurst; ++i) {
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        std::size_t segment = 0;
        const ssize_t n = recv_datagrams(d.fd.get(), d.buffer.data(), d.buffer.size(), from, len, segment);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue; // an ICMP error from an earlier client: keep serving
        }
        m_worked = true;
        const auto size = static_cast<std::size_t>(n);
        const auto* to = reinterpret_cast<const sockaddr*>(&from);
        for (std::size_t at = 0; at < size || size == 0; at += segment) {
            const std::size_t part = std::min(segment, size - at);
            const std::span<std::byte> room = d.line.room();
            if (room.empty()) {
                m_stats.dropped++;
            } else {
                std::copy_n(d.buffer.data() + at, part, room.data());
                if (!d.line.commit(part, now_ns(), to, len))
                    m_stats.dropped++;
            }
            if (size == 0)
                break; // an empty datagram is echoed too
        }
    }
}

} // namespace le
