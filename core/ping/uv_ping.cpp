#include "uv_ping.h"

#include "blocking_io.h"
#include "echo_book.h"
#include "echo_stream.h"
#include "pacer.h"
#include "uv_loop_init.h"
#include "uv_tasks.h"
#include "wire.h"

#include <fmt/format.h>
#include <uv.h>

#include <csignal>

#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace le {
namespace {

constexpr std::uint64_t kTickMs = 10;                // loss scan and stop checks
constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often
constexpr std::size_t kStreamChunk = 64 * 1024;

// libuv writes with write(2), not send(MSG_NOSIGNAL): a vanished peer would raise SIGPIPE and kill
// the process. Blocked on the loop's thread, it stays pending there harmlessly and the write fails
// with EPIPE instead, which is what the other engines see.
void block_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

uv_handle_t* as_handle(void* h) {
    return static_cast<uv_handle_t*>(h);
}

std::string uv_problem(int err) {
    return describe_errno(-err); // libuv's codes are negated errno values on Linux
}

// The asio engine's state machine (asio_ping.cpp) on libuv: callbacks instead of handlers.
class UvPing final : public PingEngine {
public:
    UvPing(PingContext& context, Fd fd)
        : m_ctx(context)
        , m_transport(context.config.effective_transport())
        , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
                 echo_ring_capacity(context.config))
        , m_echoes(m_book)
        , m_tx(kMaxPayload)
        , m_rx(m_transport == Transport::Udp ? kMaxUdpPayload + 1 : kStreamChunk)
        , m_tasks(m_loop, context.params) {
        init_uv_loop(m_loop);
        fill_pattern(m_tx.data(), m_tx.size());
        uv_timer_init(&m_loop, &m_send_timer);
        uv_timer_init(&m_loop, &m_tick_timer);
        uv_idle_init(&m_loop, &m_idle);
        uv_async_init(&m_loop, &m_async, &UvPing::on_async);
        uv_unref(as_handle(&m_async)); // the loop ends when the rest is closed; this stays for wake-ups
        for (uv_handle_t* h : {as_handle(&m_send_timer), as_handle(&m_tick_timer), as_handle(&m_idle),
                               as_handle(&m_async), as_handle(&m_sock)})
            h->data = this;
        int r = 0;
        switch (m_transport) {
        case Transport::Tcp:
            uv_tcp_init(&m_loop, &m_sock.tcp);
            r = uv_tcp_open(&m_sock.tcp, fd.get());
            break;
        case Transport::Unix:
            uv_pipe_init(&m_loop, &m_sock.pipe, 0);
            r = uv_pipe_open(&m_sock.pipe, fd.get());
            break;
        case Transport::Udp:
            uv_udp_init(&m_loop, &m_sock.udp);
            r = uv_udp_open(&m_sock.udp, fd.get());
            break;
        }
        m_sock.handle.data = this;
        if (r < 0) {
            close_all();
            uv_run(&m_loop, UV_RUN_DEFAULT);
            uv_close(as_handle(&m_async), nullptr);
            uv_run(&m_loop, UV_RUN_DEFAULT);
            uv_loop_close(&m_loop);
            throw std::runtime_error(fmt::format("libuv cannot take the socket: {}", uv_strerror(r)));
        }
        m_fd = fd.release(); // libuv closes it with the handle
    }

    ~UvPing() override {
        m_ctx.abort.store(true);
        uv_async_send(&m_async);
        join();
        if (!m_closed) { // never started
            close_all();
            uv_run(&m_loop, UV_RUN_DEFAULT);
        }
        uv_close(as_handle(&m_async), nullptr);
        uv_run(&m_loop, UV_RUN_DEFAULT);
        uv_loop_close(&m_loop);
    }

    void start() override {
        m_snapshot = start_pacing(m_ctx.params, m_pacer, m_ctx.config.burst);
        m_tasks.update();
        int r = 0;
        if (m_transport == Transport::Udp)
            r = uv_udp_recv_start(&m_sock.udp, &UvPing::alloc, &UvPing::on_datagram);
        else
            r = uv_read_start(&m_sock.stream, &UvPing::alloc, &UvPing::on_read);
        uv_timer_start(&m_tick_timer, &UvPing::on_tick, kTickMs, kTickMs);
        m_thread = std::thread([this, r] {
            use_precise_timers();
            block_sigpipe();
            if (r < 0)
                fail(uv_problem(r));
            else
                schedule_send();
            uv_run(&m_loop, UV_RUN_DEFAULT);
        });
    }

    void tasks_changed() override {
        m_tasks_changed.store(true);
        uv_async_send(&m_async);
    }

    void join() override {
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    static UvPing& self(void* handle) { return *static_cast<UvPing*>(as_handle(handle)->data); }
    bool open_loop() const { return m_ctx.config.open_loop; }

    void schedule_send() {
        if (!m_sending || m_send_busy || (!open_loop() && m_book.outstanding() > 0))
            return;
        follow_live_params(m_ctx.params, m_snapshot.generation, m_snapshot.rate, m_snapshot.payload, m_pacer,
                           m_ctx.config.burst);
        Nanos now = now_ns();
        if (!open_loop())
            m_pacer.skip_missed(now);
        if (now >= m_ctx.send_until.load(std::memory_order_relaxed)) {
            m_sending = false;
            check_done();
            return;
        }
        const Nanos due = m_pacer.due();
        const Nanos gap = due - now;
        if (!m_pacer.back_to_back() && gap > kSpinMargin) {
            if (gap > kNanosPerMilli + kSpinMargin) {
                // Whole milliseconds, rounded down, so the timer fires before the due time.
                const Nanos wait = std::min(gap - kSpinMargin, kMaxTimerWait);
                uv_update_time(&m_loop);
                uv_timer_start(&m_send_timer, &UvPing::on_send_timer,
                               static_cast<std::uint64_t>(wait / kNanosPerMilli), 0);
            } else {
                uv_idle_start(&m_idle, &UvPing::on_idle); // turn the loop without sleeping
            }
            return;
        }
        while (!m_pacer.back_to_back() && now < due)
            now = now_ns();
        send(due);
    }

    static void on_send_timer(uv_timer_t* t) { self(t).schedule_send(); }
    static void on_idle(uv_idle_t* i) {
        uv_idle_stop(i);
        self(i).schedule_send();
    }

    void send(Nanos due) {
        write_sequence(m_tx.data(), m_seq);
        const auto size = static_cast<std::uint32_t>(m_snapshot.payload);
        const Nanos t_send = now_ns();
        if (!m_book.sent(m_seq, m_pacer.back_to_back() ? t_send : due, t_send, size)) {
            uv_update_time(&m_loop); // ring full (open loop): try again shortly
            uv_timer_start(&m_send_timer, &UvPing::on_send_timer, 1, 0);
            return;
        }
        m_send_busy = true;
        uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(m_tx.data()), size);
        // Try at once, as a latency-minded libuv program does; queue what the socket did not take.
        if (m_transport == Transport::Udp) {
            const int r = uv_udp_try_send(&m_sock.udp, &buf, 1, nullptr);
            if (r >= 0)
                return sent(0);
            if (r != UV_EAGAIN)
                return sent(r);
            uv_udp_send(&m_udp_req, &m_sock.udp, &buf, 1, nullptr,
                        [](uv_udp_send_t* req, int status) { self(req->handle).sent(status); });
            return;
        }
        const int r = uv_try_write(&m_sock.stream, &buf, 1);
        if (r < 0 && r != UV_EAGAIN)
            return sent(r);
        const auto done = static_cast<unsigned>(std::max(r, 0));
        if (done == size)
            return sent(0);
        buf = uv_buf_init(reinterpret_cast<char*>(m_tx.data()) + done, size - done);
        uv_write(&m_write_req, &m_sock.stream, &buf, 1,
                 [](uv_write_t* req, int status) { self(req->handle).sent(status); });
    }

    void sent(int status) {
        m_send_busy = false;
        if (m_finished)
            return;
        if (status < 0) {
            fail(uv_problem(status));
            return;
        }
        ++m_seq;
        m_pacer.advance();
        schedule_send();
    }

    static void alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        UvPing& p = self(h);
        *buf = uv_buf_init(reinterpret_cast<char*>(p.m_rx.data()), static_cast<unsigned>(p.m_rx.size()));
    }

    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        UvPing& p = self(s);
        if (n == 0 || p.m_finished)
            return;
        if (n < 0) {
            p.fail(n == UV_EOF ? "peer closed the connection" : uv_problem(static_cast<int>(n)));
            return;
        }
        const Nanos t_recv = now_ns();
        if (!p.m_echoes.feed(reinterpret_cast<const std::byte*>(buf->base), static_cast<std::size_t>(n),
                             t_recv)) {
            p.fail("echo stream out of sync: unknown sequence number");
            return;
        }
        p.after_echo(t_recv);
    }

    static void on_datagram(uv_udp_t* u, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                            unsigned flags) {
        UvPing& p = self(u);
        if (p.m_finished || (n == 0 && from == nullptr)) // nothing more to read this turn
            return;
        if (n < 0) {
            p.fail(uv_problem(static_cast<int>(n)));
            return;
        }
        const Nanos t_recv = now_ns();
        // A truncated datagram keeps its true size unknown: one byte over shows it as bad.
        const std::size_t size = (flags & UV_UDP_PARTIAL) ? p.m_rx.size() : static_cast<std::size_t>(n);
        p.m_book.echo(reinterpret_cast<const std::byte*>(buf->base), size, t_recv);
        p.after_echo(t_recv);
    }

    void after_echo(Nanos t_recv) {
        m_book.expire(t_recv); // moves past the echoed message, and counts overdue ones lost
        if (!m_sending)
            check_done();
        else
            schedule_send();
    }

    static void on_tick(uv_timer_t* t) {
        UvPing& p = self(t);
        if (p.m_finished)
            return;
        if (p.m_ctx.abort.load()) {
            p.finish();
            return;
        }
        const Nanos now = now_ns();
        const bool overdue = now - p.m_ctx.config.timeout >= p.m_ctx.send_until.load();
        // A stream echo is latency, not loss, until sending has stopped for a timeout.
        if (p.m_transport == Transport::Udp || p.open_loop() || overdue)
            p.m_book.expire(now, overdue);
        if (p.m_sending)
            p.schedule_send();
        p.check_done();
    }

    static void on_async(uv_async_t* a) {
        UvPing& p = self(a);
        if (p.m_finished)
            return;
        if (p.m_ctx.abort.load())
            p.finish();
        else if (p.m_tasks_changed.exchange(false))
            p.m_tasks.update();
    }

    void check_done() {
        if (!m_sending && !m_send_busy && m_book.outstanding() == 0)
            finish();
    }

    void fail(std::string error) {
        if (m_error.empty())
            m_error = std::move(error);
        finish();
    }

    void finish() {
        if (m_finished)
            return;
        m_finished = true;
        m_sending = false;
        m_book.expire(now_ns(), true);
        ::shutdown(m_fd, SHUT_RDWR);
        close_all(); // uv_run returns once they are closed
        if (m_ctx.on_finished)
            m_ctx.on_finished(m_error);
    }

    // Closes every handle but the wake-up (which the destructor closes after the thread is gone).
    void close_all() {
        m_closed = true;
        m_tasks.stop();
        for (uv_handle_t* h :
             {as_handle(&m_send_timer), as_handle(&m_tick_timer), as_handle(&m_idle), as_handle(&m_sock)})
            uv_close(h, nullptr);
    }

    PingContext& m_ctx;
    const Transport m_transport;
    EchoBook m_book;
    EchoStream m_echoes;
    std::vector<std::byte> m_tx;
    std::vector<std::byte> m_rx;
    uv_loop_t m_loop{}; // initialised first thing in the constructor's body
    union Socket {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_udp_t udp;
    } m_sock{};
    uv_timer_t m_send_timer{};
    uv_timer_t m_tick_timer{};
    uv_idle_t m_idle{};
    uv_async_t m_async{};
    uv_write_t m_write_req{};
    uv_udp_send_t m_udp_req{};
    UvTasks m_tasks;
    std::thread m_thread;
    int m_fd = -1;
    Pacer m_pacer;
    LiveSnapshot m_snapshot{};
    std::uint64_t m_seq = 0;
    bool m_sending = true;
    bool m_send_busy = false;
    bool m_finished = false;
    bool m_closed = false;
    std::atomic<bool> m_tasks_changed{false};
    std::string m_error;
};

} // namespace

std::unique_ptr<PingEngine> make_uv_ping(PingContext& context, Fd socket) {
    try {
        return std::make_unique<UvPing>(context, std::move(socket));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format("cannot start the libuv engine: {}", e.what()));
    }
}

} // namespace le
