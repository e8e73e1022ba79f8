#include "uring_ping.h"

#include "blocking_io.h"
#include "datagram_receive.h"
#include "kernel_split.h"
#include "loop_ping.h"
#include "open_loop_split.h"
#include "uring_loop.h"
#include "uring_recv.h"
#include "uring_tasks.h"

#include <fmt/format.h>

#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace le {
namespace {

constexpr Nanos kTick = 10 * kNanosPerMilli;         // loss scan and stop checks
constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often
constexpr Nanos kRingFullRetry = 100 * kNanosPerMicro;
constexpr std::size_t kStreamChunk = 64 * 1024;
constexpr int kBatchesPerTurn = 8;

// LoopPing's state machine on io_uring: every wait is a timeout and every I/O an operation on the
// one ring, whose completions are the only things the engine thread wakes up for.
class UringPing final : public LoopPing, UringRecv::Sink {
public:
    UringPing(PingContext& context, Fd fd, bool sqpoll)
        : LoopPing(context)
        , m_fd(std::move(fd))
        , m_loop(sqpoll)
        , m_recv(m_loop, m_fd.get(), m_stream, m_stream ? kStreamChunk : kMaxUdpPayload + 1, *this)
        , m_tasks(m_loop, context.params)
        , m_split(m_fd.get(), context.config.effective_transport(),
                  context.config.kernel_timestamps && !context.config.open_loop)
        , m_open_split(m_fd.get(), context.config) {
        m_loop.set_wake_handler(&m_wake_op);
        if (m_split.on())
            m_split_rx.resize(m_stream ? kStreamChunk : kMaxUdpPayload + 1);
    }

    std::string split_unavailable() const override {
        return le::split_unavailable(m_ctx.config, m_split, m_open_split);
    }

    ~UringPing() override {
        m_ctx.abort.store(true);
        m_loop.wake();
        join();
        m_loop.close(); // before the buffers and operations it may still reference go
    }

    void start() override {
        m_snapshot = start_pacing(m_ctx.params, m_pacer, m_ctx.config.burst);
        m_tasks.update();
        // Open loop over datagrams: the pong's batched echoes (one GSO send each) read as whole
        // buffers (datagram_receive.h), which needs the reads that see control messages.
        if (batching() && !m_open_split.on())
            m_receive.enable_gro(m_fd.get());
        if (m_split.on() || m_open_split.on() || m_receive.gro())
            arm_readable(); // the multishot receive gives no control messages: our own recvmsg
        else
            m_recv.start();
        arm_tick();
        m_thread = std::thread([this] {
            use_precise_timers();
            schedule_send();
            try {
                while (!m_finished)
                    m_loop.run_once();
            } catch (const std::runtime_error& e) { // io_uring_enter itself failed: the run ends
                fail(e.what());
            }
        });
    }

    void join() override {
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    void schedule_send() override {
        // Batched datagrams are sent here without a completion to come back on: a few batches in a
        // row, then the ring turns (a timer due now) so echoes are read between them.
        for (int batches = 0;; ++batches) {
            const NextSend next = plan_send();
            if (next.plan == Plan::Wait)
                arm_timer(std::min(next.at, now_ns() + kMaxTimerWait));
            if (next.plan != Plan::Send)
                return;
            if (!batching()) {
                send(next.at);
                return;
            }
            const Nanos again = batches < kBatchesPerTurn ? send_batch(m_fd.get()) : now_ns();
            if (again != 0) {
                arm_timer(again);
                return;
            }
        }
    }

    void arm_timer(Nanos at) {
        if (m_timer_armed)
            return; // the pending one calls schedule_send() soon enough
        m_timer_armed = true;
        m_loop.timeout_at(m_timer_op, m_timer_ts, at);
    }

    void timer_fired(int, unsigned) {
        m_timer_armed = false;
        schedule_send();
    }

    void send(Nanos due) {
        m_send_size = begin_send(due);
        if (m_send_size == 0) {
            arm_timer(now_ns() + kRingFullRetry);
            return;
        }
        m_send_done = 0;
        m_split.sent(m_send_size); // the TX stamp's id: one datagram, or the message's last byte
        submit_send();
    }

    // Closed loop with the kernel split: wait until readable (a poll on the ring), then read with
    // recvmsg (KernelSplit::recv), keeping the RX stamp of the read that completes the echo, as the
    // asio engine does. The error queue (the TX stamp) also wakes the poll: its stamp is taken then.
    void arm_readable() { io_uring_prep_poll_add(m_loop.sqe(m_readable_op), m_fd.get(), POLLIN); }

    void readable(int res, unsigned) {
        if (m_finished)
            return;
        if (res < 0) {
            fail(describe_errno(-res));
            return;
        }
        if (m_open_split.on() || m_receive.gro()) { // open loop: every echo waiting (and stamps), in batches
            if (res & POLLERR)
                m_open_split.take_tx_stamps();
            DatagramReceive::Result r;
            do
                r = m_receive.receive(m_fd.get(), m_book, false, &m_open_split);
            while (r.error == 0 && r.full);
            if (r.error) {
                receive_failed(r.error);
                return;
            }
            after_echoes();
            if (!m_finished)
                arm_readable();
            return;
        }
        if (res & POLLERR)
            m_split.take_tx_early();
        for (;;) {
            const ssize_t r = m_split.recv(m_fd.get(), m_split_rx.data(), m_split_rx.size(), MSG_DONTWAIT);
            if (r > 0 || (r == 0 && !m_stream)) {
                const Nanos t_recv = now_ns();
                LoopPing::received(m_split_rx.data(), static_cast<std::size_t>(r),
                                   m_split.finish(last_send_call(), t_recv), t_recv);
                if (m_finished)
                    return;
            } else if (r == 0) {
                receive_failed(0);
                return;
            } else if (would_block(errno)) {
                arm_readable();
                return;
            } else {
                receive_failed(errno);
                return;
            }
        }
    }

    void submit_send() {
        io_uring_sqe* s = m_loop.sqe(m_send_op);
        io_uring_prep_send(s, m_fd.get(), m_tx.data() + m_send_done, m_send_size - m_send_done, MSG_NOSIGNAL);
    }

    void send_completed(int res, unsigned) {
        if (res < 0) {
            m_send_busy = false;
            if (!m_finished)
                fail(describe_errno(-res));
            return;
        }
        m_send_done += static_cast<std::size_t>(res);
        if (m_send_done < m_send_size && !m_finished) { // a stream took part of it: send the rest
            submit_send();
            return;
        }
        send_done();
    }

    void received(const std::byte* data, std::size_t n) override { LoopPing::received(data, n); }

    void receive_failed(int err) override {
        if (!m_finished)
            fail(err == 0 ? "peer closed the connection" : describe_errno(err));
    }

    void arm_tick() { m_loop.timeout_at(m_tick_op, m_tick_ts, now_ns() + kTick); }

    void ticked(int, unsigned) {
        tick();
        if (!m_finished)
            arm_tick();
    }

    void wake() override { m_loop.wake(); }
    void on_wake(int, unsigned) {
        if (woken())
            m_tasks.update();
    }

    void close_io() override {
        m_tasks.stop();
        m_recv.stop();
        // The ring holds the socket open while operations are pending: shut it down so the peer
        // sees the end now, not when the ring goes. The loop ends after this completion.
        ::shutdown(m_fd.get(), SHUT_RDWR);
    }

    Fd m_fd;
    __kernel_timespec m_timer_ts{};
    __kernel_timespec m_tick_ts{};
    BoundOp<UringPing, &UringPing::send_completed> m_send_op{*this};
    BoundOp<UringPing, &UringPing::timer_fired> m_timer_op{*this};
    BoundOp<UringPing, &UringPing::ticked> m_tick_op{*this};
    BoundOp<UringPing, &UringPing::on_wake> m_wake_op{*this};
    BoundOp<UringPing, &UringPing::readable> m_readable_op{*this};
    UringLoop m_loop; // closed first thing in the destructor: nothing completes to freed memory
    UringRecv m_recv;
    UringTasks m_tasks;
    KernelSplit m_split;               // closed loop with config.kernel_timestamps; off otherwise
    OpenLoopSplit m_open_split;        // open loop over datagrams with config.kernel_timestamps
    DatagramReceive m_receive;         // reads the echoes with their stamps for m_open_split, or with GRO
    std::vector<std::byte> m_split_rx; // the split's receive buffer (the multishot one is not used then)
    std::thread m_thread;
    std::size_t m_send_size = 0;
    std::size_t m_send_done = 0;
    bool m_timer_armed = false;
};

} // namespace

std::unique_ptr<PingEngine> make_uring_ping(PingContext& context, Fd socket, bool sqpoll) {
    try {
        return std::make_unique<UringPing>(context, std::move(socket), sqpoll);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(
            fmt::format("cannot start the {} engine: {}", sqpoll ? "uring-sqpoll" : "uring", e.what()));
    }
}

} // namespace le
