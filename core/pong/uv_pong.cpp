#include "uv_pong.h"

#include "uv_setup.h"
#include "uv_stamped_datagrams.h"
#include "uv_tasks.h"

#include <fmt/format.h>
#include <uv.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <span>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <vector>

namespace le {
namespace {

constexpr int kBacklog = 1024;

union StreamHandle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
};

class UvPong;

// A connection; libuv owns it from uv_accept until the close callback of its last handle (the
// stream, the release timer once impairments gave it one, the poll handle when measuring).
// Measuring its residence, libuv's read gives no control messages: a poll handle on a second
// descriptor of the socket (one fd takes one libuv watcher) says it is readable and recvmsg reads
// with the RX stamp; the echo still goes out through the stream handle.
struct Connection {
    explicit Connection(const Impairments& impairments)
        : line(impairments, DelayLine::Kind::Stream) {}
    ResidenceMeter meter{nullptr}; // off unless measuring
    Fd poll_fd;                    // measuring: the second descriptor `poll` watches
    uv_poll_t poll{};
    UvPong* pong = nullptr;
    StreamHandle h{};
    uv_write_t write{};
    std::vector<std::byte> buffer = std::vector<std::byte>(kPongChunk);
    // The delayed path (impairments on): reads go into `line`, a timer releases the chunks in order.
    DelayLine line;
    uv_timer_t timer{};
    int handles = 1; // open handles: the stream, and the timer once initialised
    bool timer_ready = false;
    bool direct = true;   // the read libuv is about to deliver goes to `buffer`
    bool writing = false; // a delayed chunk is being written
    std::size_t write_size = 0;
    bool paused = false; // the delay line was full: reading stopped until a write frees room
    bool eof = false;    // the client half-closed: echo what is queued, then close
};

struct Listener {
    UvPong* pong = nullptr;
    StreamHandle h{};
    bool tcp = false;
    ResidenceRecorder* residence = nullptr; // its connections measure into it (null: not measured)
};

struct Datagrams {
    explicit Datagrams(const Impairments& impairments)
        : line(impairments, DelayLine::Kind::Datagram) {}
    UvPong* pong = nullptr;
    uv_udp_t udp{};
    uv_udp_send_t send{};
    std::vector<std::byte> buffer = std::vector<std::byte>(kMaxUdpPayload + 1);
    // The delayed path: datagrams wait in `line` (or are dropped and counted when it is full).
    DelayLine line;
    uv_timer_t timer{};
    bool direct = true;  // the datagram libuv is about to deliver goes to `buffer` and back at once
    bool queued = false; // ... into the delay line
};

class UvPong final : public PongBase {
public:
    explicit UvPong(const PongConfig& config)
        : PongBase(config) {
        init_uv_loop(m_loop);
        m_tasks = std::make_unique<UvTasks>(m_loop, m_params);
        uv_async_init(&m_loop, &m_async, &UvPong::on_stop);
        m_async.data = this;
        try {
            open_endpoints();
        } catch (...) {
            close_all();
            uv_run(&m_loop, UV_RUN_DEFAULT);
            uv_loop_close(&m_loop);
            throw;
        }
        m_tasks->update();
        m_thread = std::thread([this] {
            block_sigpipe_on_this_thread();
            uv_run(&m_loop, UV_RUN_DEFAULT);
        });
    }

    ~UvPong() override { stop(); }

    void stop() override {
        if (m_stopped.exchange(true))
            return;
        uv_async_send(&m_async);
        if (m_thread.joinable())
            m_thread.join();
        uv_loop_close(&m_loop);
        remove_socket_files();
    }

private:
    void open_endpoints() {
        std::vector<Fd> sockets = bind_endpoints();
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            const Transport t = m_endpoints[i].transport;
            int r = 0;
            ResidenceRecorder* residence = t == Transport::Udp ? residence_for(sockets[i].get()) : nullptr;
            if (residence) { // measuring: a poll handle and recvmsg instead of libuv's receive
                m_stamped.push_back(std::make_unique<UvStampedDatagrams>(m_loop, std::move(sockets[i]),
                                                                         residence, m_impairments, m_stats));
                r = m_stamped.back()->start();
            } else if (t == Transport::Udp) {
                auto d = std::make_unique<Datagrams>(m_impairments);
                d->pong = this;
                uv_udp_init(&m_loop, &d->udp);
                d->udp.data = d.get();
                uv_timer_init(&m_loop, &d->timer);
                d->timer.data = d.get();
                r = uv_udp_open(&d->udp, sockets[i].get());
                if (r == 0)
                    static_cast<void>(sockets[i].release()); // libuv closes it with its handle
                m_datagrams.push_back(std::move(d));
                if (r == 0)
                    r = uv_udp_recv_start(&m_datagrams.back()->udp, &UvPong::alloc_datagram,
                                          &UvPong::on_datagram);
            } else {
                auto l = std::make_unique<Listener>();
                l->pong = this;
                l->tcp = t == Transport::Tcp;
                if (l->tcp) {
                    l->residence = residence_for(sockets[i].get());
                    uv_tcp_init(&m_loop, &l->h.tcp);
                    r = uv_tcp_open(&l->h.tcp, sockets[i].get());
                } else {
                    uv_pipe_init(&m_loop, &l->h.pipe, 0);
                    r = uv_pipe_open(&l->h.pipe, sockets[i].get());
                }
                l->h.handle.data = l.get();
                if (r == 0)
                    static_cast<void>(sockets[i].release());
                m_listeners.push_back(std::move(l));
                if (r == 0)
                    r = uv_listen(&m_listeners.back()->h.stream, kBacklog, &UvPong::on_connection);
            }
            if (r < 0)
                throw std::runtime_error(
                    fmt::format("libuv cannot serve {}: {}", m_endpoints[i].url(), uv_strerror(r)));
        }
    }

    static void on_connection(uv_stream_t* server, int status) {
        auto& l = *static_cast<Listener*>(server->data);
        UvPong& p = *l.pong;
        if (status < 0) {
            p.m_stats.accept_error.store(-status, std::memory_order_relaxed);
            return;
        }
        auto c = std::make_unique<Connection>(p.m_impairments);
        c->pong = &p;
        if (l.tcp)
            uv_tcp_init(&p.m_loop, &c->h.tcp);
        else
            uv_pipe_init(&p.m_loop, &c->h.pipe, 0);
        c->h.handle.data = c.get();
        Connection* conn = c.release(); // libuv's until its close callback
        if (const int r = uv_accept(server, &conn->h.stream); r < 0) {
            p.m_stats.accept_error.store(-r, std::memory_order_relaxed);
            uv_close(&conn->h.handle, &UvPong::free_unregistered);
            return;
        }
        p.m_stats.accept_error.store(0, std::memory_order_relaxed);
        if (p.m_stats.active.load() >= p.m_config.max_connections) {
            p.m_stats.refused++; // closed at once: the client sees EOF rather than a hang
            uv_close(&conn->h.handle, &UvPong::free_unregistered);
            return;
        }
        p.m_stats.accepted++;
        p.m_stats.active++;
        p.m_connections.insert(conn);
        if (l.tcp)
            uv_tcp_nodelay(&conn->h.tcp, 1);
        if (l.residence)
            measure(p, *conn, l.residence);
        start_reading(*conn);
    }

    // One thread serves every connection: the listener's recorder is theirs. Without a second
    // descriptor or its poll handle (out of descriptors) the connection is served, not measured.
    static void measure(UvPong& p, Connection& c, ResidenceRecorder* listener) {
        uv_os_fd_t fd = -1;
        ResidenceRecorder* r = nullptr;
        if (uv_fileno(&c.h.handle, &fd) == 0)
            r = p.residence_for_connection(fd, listener, false).recorder();
        if (r)
            c.poll_fd = Fd(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
        if (!r || !c.poll_fd || uv_poll_init_socket(&p.m_loop, &c.poll, c.poll_fd.get()) != 0)
            return;
        c.poll.data = &c;
        ++c.handles;
        c.meter = ResidenceMeter(r);
    }

    static void start_reading(Connection& c) {
        c.meter.on() ? uv_poll_start(&c.poll, UV_READABLE, &UvPong::on_readable)
                     : uv_read_start(&c.h.stream, &UvPong::alloc_stream, &UvPong::on_read);
    }
    static void stop_reading(Connection& c) {
        c.meter.on() ? uv_poll_stop(&c.poll) : uv_read_stop(&c.h.stream);
    }

    // Measuring: the socket is readable (libuv polls level-triggered, so one read per wake-up).
    static void on_readable(uv_poll_t* h, int, int) {
        auto& c = *static_cast<Connection*>(h->data);
        uv_buf_t buf;
        alloc_stream(&c.h.handle, 0, &buf);
        std::int64_t rx = 0;
        const ssize_t n = buf.len == 0 ? ssize_t{UV_ENOBUFS} // as libuv's read: delivered() pauses reading
                                       : c.meter.recv(c.poll_fd.get(), buf.base, buf.len, MSG_DONTWAIT, rx);
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        delivered(c, n == -1 ? -errno : n == 0 ? ssize_t{UV_EOF} : n, &buf, rx); // libuv's errors: -errno
    }

    static void free_unregistered(uv_handle_t* h) {
        const std::unique_ptr<Connection> gone(static_cast<Connection*>(h->data));
    }

    static void close_connection(Connection& c) {
        if (uv_is_closing(&c.h.handle))
            return;
        uv_close(&c.h.handle, &UvPong::closed);
        if (c.meter.on())
            uv_close(as_handle(&c.poll), &UvPong::closed);
        if (c.timer_ready)
            uv_close(as_handle(&c.timer), &UvPong::closed);
    }

    static void closed(uv_handle_t* h) {
        auto* conn = static_cast<Connection*>(h->data);
        if (--conn->handles > 0)
            return;
        std::unique_ptr<Connection> c(conn);
        c->pong->m_connections.erase(c.get());
        c->pong->m_stats.active--;
    }

    // The path is chosen before each read: direct into the buffer, or into the delay line's room
    // (empty when it is full: libuv then reports UV_ENOBUFS and reading pauses).
    static void alloc_stream(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto& c = *static_cast<Connection*>(h->data);
        c.direct = c.line.bypass();
        const std::span<std::byte> target = c.direct ? std::span<std::byte>(c.buffer) : c.line.room();
        *buf = uv_buf_init(reinterpret_cast<char*>(target.data()), static_cast<unsigned>(target.size()));
    }

    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        delivered(*static_cast<Connection*>(s->data), n, buf, 0);
    }

    // A read's outcome, as libuv's read callback has it; `rx`: its RX stamp, when measuring.
    static void delivered(Connection& c, ssize_t n, const uv_buf_t* buf, std::int64_t rx) {
        uv_stream_t* s = &c.h.stream;
        if (n == 0)
            return;
        if (n == UV_ENOBUFS) { // the delay line is full: a client that does not read is no longer read
            stop_reading(c);
            c.paused = true;
            return;
        }
        if (n < 0) {
            // The end of the stream on the delayed path: what is queued is still echoed first.
            if (n == UV_EOF && !c.direct && (!c.line.empty() || c.writing)) {
                stop_reading(c);
                c.eof = true;
                return;
            }
            close_connection(c); // the end of the stream, or an error: the connection goes
            return;
        }
        if (!c.direct) {
            c.line.commit(static_cast<std::size_t>(n), now_ns(), nullptr, 0, rx);
            release(c);
            return;
        }
        // No reading while the echo is out: a client that does not read is no longer read.
        stop_reading(c);
        uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(n));
        const Nanos t_send = c.meter.send_begins();
        const int r = uv_try_write(s, &out, 1);
        c.meter.sent(rx, t_send); // the echo began in that call (or begins in uv_write's, at once)
        if (r == n) {
            written(c, static_cast<std::size_t>(n));
            return;
        }
        if (r < 0 && r != UV_EAGAIN) {
            close_connection(c);
            return;
        }
        const auto done = static_cast<unsigned>(std::max(r, 0));
        out = uv_buf_init(buf->base + done, static_cast<unsigned>(n) - done);
        c.write.data = reinterpret_cast<void*>(static_cast<std::uintptr_t>(n));
        uv_write(&c.write, s, &out, 1, [](uv_write_t* req, int status) {
            auto& conn = *static_cast<Connection*>(req->handle->data);
            if (status < 0) {
                if (status != UV_ECANCELED)
                    close_connection(conn);
                return;
            }
            written(conn, static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(req->data)));
        });
    }

    static void written(Connection& c, std::size_t n) {
        c.pong->m_stats.bytes += n;
        start_reading(c);
    }

    static void alloc_datagram(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto& d = *static_cast<Datagrams*>(h->data);
        std::span<std::byte> target = d.buffer;
        d.direct = d.line.bypass();
        d.queued = false;
        if (!d.direct) { // into the delay queue, or into the buffer to drop when it is full
            const std::span<std::byte> room = d.line.room();
            d.queued = !room.empty();
            if (d.queued)
                target = room;
        }
        *buf = uv_buf_init(reinterpret_cast<char*>(target.data()), static_cast<unsigned>(target.size()));
    }

    static void on_datagram(uv_udp_t* u, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        auto& d = *static_cast<Datagrams*>(u->data);
        // n < 0: e.g. ICMP unreachable from an earlier client, not fatal for the others.
        if (n < 0 || from == nullptr)
            return;
        if (!d.direct) {
            const auto len = static_cast<socklen_t>(from->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                                                                                : sizeof(sockaddr_in));
            if (!d.queued || !d.line.commit(static_cast<std::size_t>(n), now_ns(), from, len))
                d.pong->m_stats.dropped++;
            release(d);
            return;
        }
        uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(n));
        const int r = uv_udp_try_send(u, &out, 1, from);
        if (r >= 0) {
            d.pong->m_stats.bytes += static_cast<std::uint64_t>(n);
            return;
        }
        if (r != UV_EAGAIN)
            return;
        // The socket is full: hold this datagram (receiving pauses, so the buffer stays ours).
        uv_udp_recv_stop(u);
        d.send.data = reinterpret_cast<void*>(static_cast<std::uintptr_t>(n));
        uv_udp_send(&d.send, u, &out, 1, from, [](uv_udp_send_t* req, int status) {
            auto& dg = *static_cast<Datagrams*>(req->handle->data);
            if (status == UV_ECANCELED)
                return;
            if (status >= 0)
                dg.pong->m_stats.bytes += reinterpret_cast<std::uintptr_t>(req->data);
            uv_udp_recv_start(&dg.udp, &UvPong::alloc_datagram, &UvPong::on_datagram);
        });
    }

    // Delayed stream path: writes the head chunk when due (one write at a time, so chunks leave in
    // order) or waits for it on the connection's timer.
    static void release(Connection& c) {
        if (c.writing || c.line.empty() || uv_is_closing(&c.h.handle))
            return;
        const Nanos due = c.line.next_due();
        if (due > now_ns()) {
            if (!c.timer_ready) {
                uv_timer_init(&c.pong->m_loop, &c.timer);
                c.timer.data = &c;
                c.timer_ready = true;
                ++c.handles;
            }
            uv_timer_start(
                &c.timer, [](uv_timer_t* t) { release(*static_cast<Connection*>(t->data)); },
                timer_ms(&c.pong->m_loop, due), 0);
            return;
        }
        const DelayLine::Message m = c.line.front();
        uv_buf_t out = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(m.data)),
                                   static_cast<unsigned>(m.size));
        c.writing = true;
        c.write_size = m.size;
        if (m.starts) // the read's residence, its hold included
            c.meter.sent(m.stamp, c.meter.send_begins());
        uv_write(&c.write, &c.h.stream, &out, 1, [](uv_write_t* req, int status) {
            auto& conn = *static_cast<Connection*>(req->handle->data);
            conn.writing = false;
            if (status < 0) {
                if (status != UV_ECANCELED)
                    close_connection(conn);
                return;
            }
            conn.pong->m_stats.bytes += conn.write_size;
            conn.line.consumed(conn.write_size);
            if (conn.eof && conn.line.empty()) {
                close_connection(conn); // all echoed: close, as the direct path does at the end
                return;
            }
            if (conn.paused) {
                conn.paused = false;
                start_reading(conn);
            }
            release(conn);
        });
    }

    // Delayed datagrams: sends those due, in order of due time, and waits for the next (a datagram
    // the full socket does not take now is tried again a millisecond later, not lost).
    static void release(Datagrams& d) {
        const Nanos now = now_ns();
        Nanos due = 0;
        while (!d.line.empty()) {
            due = d.line.next_due();
            if (due > now)
                break;
            const DelayLine::Message m = d.line.front();
            uv_buf_t out = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(m.data)),
                                       static_cast<unsigned>(m.size));
            const int r = uv_udp_try_send(&d.udp, &out, 1, m.to);
            if (r == UV_EAGAIN) {
                due = now + kNanosPerMilli;
                break;
            }
            if (r >= 0)
                d.pong->m_stats.bytes += m.size;
            d.line.consumed(m.size);
        }
        if (d.line.empty() || uv_is_closing(as_handle(&d.timer)))
            return;
        uv_timer_start(
            &d.timer, [](uv_timer_t* t) { release(*static_cast<Datagrams*>(t->data)); },
            timer_ms(&d.pong->m_loop, due), 0);
    }

    static void on_stop(uv_async_t* a) { static_cast<UvPong*>(a->data)->close_all(); }

    // Closes every handle; the loop ends when their close callbacks have run.
    void close_all() {
        m_tasks->stop();
        for (auto& l : m_listeners)
            uv_close(&l->h.handle, nullptr);
        for (auto& d : m_datagrams) {
            uv_close(as_handle(&d->udp), nullptr);
            uv_close(as_handle(&d->timer), nullptr);
        }
        for (auto& d : m_stamped)
            d->close();
        for (Connection* c : std::vector<Connection*>(m_connections.begin(), m_connections.end()))
            close_connection(*c);
        uv_close(as_handle(&m_async), nullptr);
    }

    uv_loop_t m_loop{};
    uv_async_t m_async{};
    std::unique_ptr<UvTasks> m_tasks;
    std::vector<std::unique_ptr<Listener>> m_listeners;
    std::vector<std::unique_ptr<Datagrams>> m_datagrams;
    std::vector<std::unique_ptr<UvStampedDatagrams>> m_stamped; // UDP endpoints measuring their residence
    std::unordered_set<Connection*> m_connections; // loop thread only; freed by their close callbacks
    std::thread m_thread;
    std::atomic<bool> m_stopped{false};
};

} // namespace

std::unique_ptr<PongServer> make_uv_pong(const PongConfig& config) {
    try {
        return std::make_unique<UvPong>(config);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format("cannot start the libuv pong: {}", e.what()));
    }
}

} // namespace le
