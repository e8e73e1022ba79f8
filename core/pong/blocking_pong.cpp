#include "blocking_pong.h"

#include "blocking_io.h"
#include "datagram_echo.h"
#include "stamped_datagrams.h"
#include "start_thread.h"

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <poll.h>
#include <sys/socket.h>

namespace le {
namespace {

constexpr Nanos kSlice = 100 * kNanosPerMilli; // how soon a blocked thread notices stop()

// Waits up to `timeout` for `events` on fd and returns what happened (0 on timeout). ppoll, not
// poll: a delay of a few hundred microseconds must not be rounded up to a millisecond.
short wait_for(int fd, short events, Nanos timeout) {
    pollfd p{fd, events, 0};
    timeout = std::clamp<Nanos>(timeout, 0, kSlice);
    const timespec ts{static_cast<time_t>(timeout / kNanosPerSecond),
                      static_cast<long>(timeout % kNanosPerSecond)};
    return ::ppoll(&p, 1, &ts, nullptr) > 0 ? p.revents : 0;
}

} // namespace

BlockingPong::BlockingPong(const PongConfig& config)
    : PongBase(config)
    , m_listeners(bind_endpoints()) {
    m_tasks = std::make_unique<ThreadTasks>(m_params);
    try {
        for (std::size_t i = 0; i < m_listeners.size(); ++i) {
            const int fd = m_listeners[i].get();
            const std::string what = m_endpoints[i].url();
            if (m_endpoints[i].transport == Transport::Udp) {
                ResidenceRecorder* residence = residence_for(fd);
                m_threads.push_back(
                    start_thread(what, [this, fd, residence] { serve_datagrams(fd, residence); }));
            } else {
                ResidenceRecorder* residence =
                    m_endpoints[i].transport == Transport::Tcp ? residence_for(fd) : nullptr;
                m_threads.push_back(
                    start_thread(what, [this, fd, residence] { accept_loop(fd, residence); }));
            }
        }
    } catch (...) {
        stop(); // joins what started: no std::terminate for a thread left running
        throw;
    }
}

BlockingPong::~BlockingPong() {
    stop();
}

void BlockingPong::stop() {
    if (m_stop.exchange(true))
        return;
    for (auto& t : m_threads)
        t.join();
    std::lock_guard lock(m_connections_mutex);
    for (auto& c : m_connections)
        c->thread.join();
    m_connections.clear();
    m_tasks.reset();
    m_listeners.clear();
    remove_socket_files();
}

void BlockingPong::accept_loop(int listen_fd, ResidenceRecorder* residence) {
    while (!m_stop.load()) {
        pollfd p{listen_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(kSlice / kNanosPerMilli)) <= 0)
            continue;
        Fd client(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) {
            // EMFILE and friends: back off instead of spinning on a ready listener; the open
            // connections are served meanwhile.
            m_stats.accept_error.store(errno);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        m_stats.accept_error.store(0);
        reap_finished();
        if (m_stats.active.load() >= m_config.max_connections) {
            m_stats.refused++;
            continue; // closed at once: the client sees EOF instead of a silent hang
        }
        set_nodelay(client.get());
        set_recv_timeout(client.get(), kSlice);
        set_send_timeout(client.get(), kSlice);
        // Each connection thread measures into a recorder of its own (one writer per recorder).
        ResidenceLease own = residence_for_connection(client.get(), residence, true);
        m_stats.accepted++;
        m_stats.active++;
        auto conn = std::make_unique<Connection>();
        Connection* raw = conn.get();
        conn->fd = std::move(client);
        conn->residence = std::move(own);
        std::lock_guard lock(m_connections_mutex);
        try {
            conn->thread = start_thread("a connection", [this, raw] {
                serve_stream(raw->fd.get(), raw->residence.recorder());
                raw->residence.end();
                raw->fd.reset();
                m_stats.active--;
                raw->done.store(true);
            });
        } catch (const ThreadStartError&) {
            // Out of threads: this connection is closed at once (the client sees EOF), the others
            // are served on, and the stats say why.
            m_stats.active--;
            m_stats.accepted--;
            m_stats.refused++;
            m_stats.accept_error.store(EAGAIN);
            continue;
        }
        m_connections.push_back(std::move(conn));
    }
}

void BlockingPong::reap_finished() {
    std::lock_guard lock(m_connections_mutex);
    std::erase_if(m_connections, [](std::unique_ptr<Connection>& c) {
        if (!c->done.load())
            return false;
        c->thread.join();
        return true;
    });
}

void BlockingPong::serve_stream(int fd, ResidenceRecorder* residence) {
    std::vector<std::byte> buffer(kPongChunk);
    ResidenceMeter meter(residence); // off: recv and send as without it
    DelayLine line(m_impairments, DelayLine::Kind::Stream);
    const auto keep_going = [this] { return !m_stop.load(std::memory_order_relaxed); };
    // An idle slice also ends the wait when impairments come on, so they apply within a slice.
    const auto stay_direct = [&] { return keep_going() && line.bypass(); };
    while (keep_going()) {
        if (!line.bypass()) {
            if (!serve_stream_delayed(fd, line, meter))
                return;
            continue;
        }
        std::int64_t rx = 0; // the read's RX stamp, when measuring
        const IoResult r =
            recv_some(fd, buffer.data(), buffer.size(), stay_direct, meter.on() ? &rx : nullptr);
        if (r.status == IoStatus::Idle)
            continue; // stopping, or impairments came on
        if (r.status != IoStatus::Ok || r.bytes == 0)
            return;
        const Nanos t_send = meter.send_begins();
        const IoStatus sent = send_all(fd, buffer.data(), r.bytes, keep_going).status;
        meter.sent(rx, t_send);
        if (sent != IoStatus::Ok)
            return;
        m_stats.bytes += r.bytes;
    }
}

// With impairments the thread no longer blocks in recv or send: it waits (ppoll) for whichever
// comes first of data to read (while the delay queue has room), room to write (while a due chunk
// did not fit) and the next chunk's due time. A client that does not read fills its own queue and
// is then no longer read; nobody else waits for it. Returns true when back to the direct path
// (impairments off and the queue drained), false when the connection is to be closed.
bool BlockingPong::serve_stream_delayed(int fd, DelayLine& line, ResidenceMeter& meter) {
    bool eof = false;
    while (!m_stop.load(std::memory_order_relaxed)) {
        const Nanos now = now_ns();
        bool blocked = false;
        while (!line.empty() && line.next_due() <= now) {
            const DelayLine::Message m = line.front();
            const Nanos t_send = meter.send_begins();
            const ssize_t n = ::send(fd, m.data, m.size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                if (m.starts) // the read's residence, its hold included
                    meter.sent(m.stamp, t_send);
                m_stats.bytes += static_cast<std::uint64_t>(n);
                line.consumed(static_cast<std::size_t>(n));
            } else if (n < 0 && would_block(errno)) {
                blocked = true;
                break;
            } else {
                return false;
            }
        }
        if (line.empty() && eof)
            return false; // all echoed: close, as the direct path does at EOF
        if (line.empty() && line.bypass())
            return true;
        const std::span<std::byte> room = eof ? std::span<std::byte>{} : line.room();
        const Nanos wait = line.empty() || blocked ? kSlice : line.next_due() - now;
        const short events = static_cast<short>((room.empty() ? 0 : POLLIN) | (blocked ? POLLOUT : 0));
        const short revents = wait_for(fd, events, wait);
        if (room.empty()) {
            if (revents & (POLLHUP | POLLERR))
                return false; // nothing more can be sent
            continue;
        }
        if (!(revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        std::int64_t rx = 0;
        const ssize_t n = meter.recv(fd, room.data(), room.size(), MSG_DONTWAIT, rx);
        if (n > 0)
            line.commit(static_cast<std::size_t>(n), now_ns(), nullptr, 0, rx);
        else if (n == 0)
            eof = true; // the client half-closed: echo what is queued, then close
        else if (!would_block(errno))
            return false;
    }
    return false;
}

void BlockingPong::serve_datagrams(int fd, ResidenceRecorder* residence) {
    DatagramEcho echo;
    DelayLine line(m_impairments, DelayLine::Kind::Datagram);
    StampedDatagrams single(fd, residence, line, m_stats); // one at a time: measuring, or delayed
    set_recv_timeout(fd, kSlice);
    while (!m_stop.load(std::memory_order_relaxed)) {
        if (!line.bypass()) {
            serve_datagrams_delayed(fd, line, single);
            continue;
        }
        // Every datagram waiting, in one batch each way; measuring the residence, one at a time with
        // its RX stamp. Nothing read: the timeout slice, or an ICMP error from an earlier client;
        // either way, keep serving.
        if (residence)
            single.drain(1, true);
        else
            m_stats.bytes += echo.echo(fd, true).bytes;
    }
}

// Datagrams with impairments: receive into the delay queue (or drop and count, when it is full),
// send what is due, and wait with ppoll for the next datagram or due time. Returns when stopping or
// when back to the direct path.
void BlockingPong::serve_datagrams_delayed(int fd, DelayLine& line, StampedDatagrams& single) {
    while (!m_stop.load(std::memory_order_relaxed)) {
        const Nanos now = now_ns();
        single.release_due(now);
        if (line.empty() && line.bypass())
            return;
        const Nanos wait = line.empty() ? kSlice : line.next_due() - now;
        if (wait_for(fd, POLLIN, wait) & (POLLIN | POLLERR))
            single.drain(1, false);
    }
}

} // namespace le
