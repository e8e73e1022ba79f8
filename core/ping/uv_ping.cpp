#include "uv_ping.h"

#include "blocking_io.h"
#include "datagram_receive.h"
#include "kernel_split.h"
#include "loop_ping.h"
#include "open_loop_split.h"
#include "uv_setup.h"
#include "uv_tasks.h"

#include <fmt/format.h>
#include <uv.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace le {
namespace {

constexpr std::uint64_t kTickMs = 10;                // loss scan and stop checks
constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often
constexpr std::size_t kStreamChunk = 64 * 1024;

std::string uv_problem(int err) {
    return describe_errno(-err); // libuv's codes are negated errno values on Linux
}

// LoopPing's state machine on libuv: callbacks on one uv_loop_t.
class UvPing final : public LoopPing {
public:
    UvPing(PingContext& context, Fd fd)
        : LoopPing(context)
        , m_transport(context.config.effective_transport())
        , m_rx(m_transport == Transport::Udp ? kMaxUdpPayload + 1 : kStreamChunk)
        , m_tasks(m_loop, context.params)
        , m_split(fd.get(), m_transport, context.config.kernel_timestamps && !context.config.open_loop)
        , m_open_split(fd.get(), context.config) {
        init_uv_loop(m_loop);
        uv_timer_init(&m_loop, &m_send_timer);
        uv_timer_init(&m_loop, &m_tick_timer);
        uv_idle_init(&m_loop, &m_idle);
        uv_async_init(&m_loop, &m_async, &UvPing::on_async);
        uv_unref(as_handle(&m_async)); // the loop ends when the rest is closed; this stays for wake-ups
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
        for (uv_handle_t* h : {as_handle(&m_send_timer), as_handle(&m_tick_timer), as_handle(&m_idle),
                               as_handle(&m_async), as_handle(&m_sock)})
            h->data = this;
        if (r < 0) {
            close_handles();
            uv_close(as_handle(&m_async), nullptr);
            uv_run(&m_loop, UV_RUN_DEFAULT);
            uv_loop_close(&m_loop);
            throw std::runtime_error(fmt::format("libuv cannot take the socket: {}", uv_strerror(r)));
        }
        m_fd = fd.release(); // libuv closes it with the handle
        // Open loop over datagrams: the pong's batched echoes (one GSO send each) read as whole
        // buffers (datagram_receive.h), which needs the reads that see control messages.
        if (batching() && !m_open_split.on())
            m_receive.enable_gro(m_fd);
        if (m_split.on() || m_open_split.on() || m_receive.gro())
            open_split_poll();
    }

    std::string split_unavailable() const override {
        return le::split_unavailable(m_ctx.config, m_split, m_open_split);
    }

    ~UvPing() override {
        m_ctx.abort.store(true);
        uv_async_send(&m_async);
        join();
        if (!m_closed) // never started
            close_handles();
        uv_close(as_handle(&m_async), nullptr);
        uv_run(&m_loop, UV_RUN_DEFAULT);
        uv_loop_close(&m_loop);
    }

    void start() override {
        m_snapshot = start_pacing(m_ctx.params, m_pacer, m_ctx.config.burst);
        m_tasks.update();
        const int r = m_poll_open ? uv_poll_start(&m_poll, UV_READABLE | UV_PRIORITIZED, &UvPing::on_readable)
                      : m_transport == Transport::Udp
                          ? uv_udp_recv_start(&m_sock.udp, &UvPing::alloc, &UvPing::on_datagram)
                          : uv_read_start(&m_sock.stream, &UvPing::alloc, &UvPing::on_read);
        uv_timer_start(&m_tick_timer, &UvPing::on_tick, kTickMs, kTickMs);
        m_thread = std::thread([this, r] {
            use_precise_timers();
            block_sigpipe_on_this_thread();
            if (r < 0)
                fail(uv_problem(r));
            else
                schedule_send();
            uv_run(&m_loop, UV_RUN_DEFAULT);
        });
    }

    void join() override {
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    static UvPing& self(void* handle) { return *static_cast<UvPing*>(as_handle(handle)->data); }

    // A send that completes at once calls back into schedule_send() (send_done): those calls only ask
    // for another turn of this loop, so a falling-behind open loop does not recurse once per message,
    // and after kSendsPerTurn sends in a row the loop turns (idle handle) so echoes get read.
    void schedule_send() override {
        if (m_scheduling) {
            m_schedule_again = true;
            return;
        }
        m_scheduling = true;
        int sends = 0;
        do {
            m_schedule_again = false;
            if (++sends > kSendsPerTurn) {
                uv_idle_start(&m_idle, &UvPing::on_idle);
                break;
            }
            schedule_once();
        } while (m_schedule_again);
        m_scheduling = false;
    }

    void schedule_once() {
        const NextSend next = plan_send();
        if (next.plan == Plan::Send && batching()) {
            uv_os_fd_t fd = -1;
            uv_fileno(as_handle(&m_sock.udp), &fd);
            if (send_batch(fd) == 0)
                m_schedule_again = true; // plan the next one (kSendsPerTurn bounds the turn)
            else if (!m_finished)
                uv_idle_start(&m_idle, &UvPing::on_idle); // turn the loop (echoes), then come back
            return;
        }
        if (next.plan == Plan::Send) {
            send(next.at);
            return;
        }
        if (next.plan == Plan::Nothing)
            return;
        const Nanos gap = next.at - now_ns();
        if (gap > kNanosPerMilli) {
            // Whole milliseconds, rounded down, so the timer fires before the due time.
            uv_update_time(&m_loop);
            uv_timer_start(&m_send_timer, &UvPing::on_send_timer,
                           static_cast<std::uint64_t>(std::min(gap, kMaxTimerWait) / kNanosPerMilli), 0);
        } else {
            uv_idle_start(&m_idle, &UvPing::on_idle); // turn the loop without sleeping
        }
    }

    static void on_send_timer(uv_timer_t* t) { self(t).schedule_send(); }
    static void on_idle(uv_idle_t* i) {
        uv_idle_stop(i);
        self(i).schedule_send();
    }

    void send(Nanos due) {
        const std::uint32_t size = begin_send(due);
        if (size == 0) {
            uv_update_time(&m_loop); // ring full (open loop): try again shortly
            uv_timer_start(&m_send_timer, &UvPing::on_send_timer, 1, 0);
            return;
        }
        m_split.sent(size); // the TX stamp's id: one datagram, or the message's last byte
        uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(m_tx.data()), size);
        // Try at once, as a latency-minded libuv program does; queue what the socket did not take.
        if (m_transport == Transport::Udp) {
            const int r = uv_udp_try_send(&m_sock.udp, &buf, 1, nullptr);
            if (r != UV_EAGAIN)
                return sent(std::min(r, 0));
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
        if (status < 0) {
            m_send_busy = false;
            if (!m_finished)
                fail(uv_problem(status));
            return;
        }
        send_done();
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
        p.received(reinterpret_cast<const std::byte*>(buf->base), static_cast<std::size_t>(n));
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
        // A truncated datagram's true size is unknown: one byte over the largest shows it as bad.
        const std::size_t size = (flags & UV_UDP_PARTIAL) ? p.m_rx.size() : static_cast<std::size_t>(n);
        p.received(reinterpret_cast<const std::byte*>(buf->base), size);
    }

    // Closed loop with the kernel split: libuv's reads give no control messages, so a poll handle on
    // a second descriptor of the socket (the stream or UDP handle keeps sending) waits until readable
    // and KernelSplit::recv reads, keeping the RX stamp, as the asio engine does. A TX stamp queued on
    // the error queue makes the socket report POLLERR, which libuv takes for a dead descriptor unless
    // POLLPRI comes with it: SO_SELECT_ERR_QUEUE adds it, and the stamp is taken when it wakes us.
    void open_split_poll() {
        const int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof one);
        m_poll_fd = Fd(::dup(m_fd));
        const int r = m_poll_fd ? uv_poll_init_socket(&m_loop, &m_poll, m_poll_fd.get()) : -errno;
        if (r < 0)
            throw std::runtime_error(fmt::format("cannot poll the socket: {}", uv_strerror(r)));
        m_poll.data = this;
        m_poll_open = true;
    }

    static void on_readable(uv_poll_t* h, int status, int events) {
        UvPing& p = self(h);
        if (p.m_finished)
            return;
        if (status == UV_EBADF) { // POLLERR without POLLPRI (tcp_poll sets no POLLPRI): libuv stopped
            p.m_split.take_tx_early();
            p.m_open_split.take_tx_stamps();
            status = uv_poll_start(&p.m_poll, UV_READABLE | UV_PRIORITIZED, &UvPing::on_readable);
        }
        if (status < 0) {
            p.fail(uv_problem(status));
            return;
        }
        if (p.m_open_split.on() ||
            p.m_receive.gro()) { // open loop: every echo waiting (and stamps), in batches
            p.m_open_split.take_tx_stamps();
            DatagramReceive::Result r;
            do
                r = p.m_receive.receive(p.m_fd, p.m_book, false, &p.m_open_split);
            while (r.error == 0 && r.full);
            if (r.error)
                p.fail(describe_errno(r.error));
            else
                p.after_echoes();
            return;
        }
        if (events & UV_PRIORITIZED || status == 0)
            p.m_split.take_tx_early();
        const bool stream = p.m_transport != Transport::Udp;
        for (;;) {
            const ssize_t r = p.m_split.recv(p.m_fd, p.m_rx.data(), p.m_rx.size(), MSG_DONTWAIT);
            if (r > 0 || (r == 0 && !stream)) {
                const Nanos t_recv = now_ns();
                p.received(p.m_rx.data(), static_cast<std::size_t>(r),
                           p.m_split.finish(p.last_send_call(), t_recv), t_recv);
                if (p.m_finished)
                    return;
            } else if (r == 0) {
                p.fail("peer closed the connection");
                return;
            } else {
                if (!would_block(errno))
                    p.fail(describe_errno(errno));
                return;
            }
        }
    }

    static void on_tick(uv_timer_t* t) { self(t).tick(); }

    void wake() override { uv_async_send(&m_async); }
    static void on_async(uv_async_t* a) {
        UvPing& p = self(a);
        if (p.woken())
            p.m_tasks.update();
    }

    void close_io() override {
        ::shutdown(m_fd, SHUT_RDWR);
        close_handles(); // uv_run returns once they are closed
    }

    // Closes every handle but the wake-up (which the destructor closes after the thread is gone).
    void close_handles() {
        m_closed = true;
        m_tasks.stop();
        for (uv_handle_t* h :
             {as_handle(&m_send_timer), as_handle(&m_tick_timer), as_handle(&m_idle), as_handle(&m_sock)})
            uv_close(h, nullptr);
        if (m_poll_open)
            uv_close(as_handle(&m_poll), nullptr);
    }

    const Transport m_transport;
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
    KernelSplit m_split;        // closed loop with config.kernel_timestamps; off otherwise
    OpenLoopSplit m_open_split; // open loop over datagrams with config.kernel_timestamps
    DatagramReceive m_receive;  // reads the echoes with their stamps for m_open_split, or with GRO
    uv_poll_t m_poll{};         // the split's readiness wait, on m_poll_fd
    Fd m_poll_fd;               // closed after the loop (the destructor's body closes it)
    bool m_poll_open = false;
    std::thread m_thread;
    int m_fd = -1;
    bool m_closed = false;
    bool m_scheduling = false;     // inside schedule_send()
    bool m_schedule_again = false; // a send completed inside it and asked for the next
    static constexpr int kSendsPerTurn = 64;
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
