#include "uring_ping.h"

#include "blocking_io.h"
#include "echo_book.h"
#include "echo_stream.h"
#include "pacer.h"
#include "uring_loop.h"
#include "uring_recv.h"
#include "uring_tasks.h"
#include "wire.h"

#include <fmt/format.h>

#include <stdexcept>
#include <sys/socket.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace le {
namespace {

constexpr Nanos kTick = 10 * kNanosPerMilli;         // loss scan and stop checks
constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often
constexpr std::size_t kStreamChunk = 64 * 1024;

// The same state machine as the asio engine (asio_ping.cpp), with io_uring operations for handlers.
class UringPing final : public PingEngine, UringRecv::Sink {
public:
    UringPing(PingContext& context, Fd fd, bool sqpoll)
        : m_ctx(context)
        , m_fd(std::move(fd))
        , m_stream(is_stream(context.config.effective_transport()))
        , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
                 echo_ring_capacity(context.config))
        , m_echoes(m_book)
        , m_tx(kMaxPayload)
        , m_loop(sqpoll)
        , m_recv(m_loop, m_fd.get(), m_stream, m_stream ? kStreamChunk : kMaxUdpPayload + 1, *this)
        , m_tasks(m_loop, context.params) {
        fill_pattern(m_tx.data(), m_tx.size());
        m_loop.set_wake_handler(&m_wake_op);
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
        m_recv.start();
        arm_tick();
        m_thread = std::thread([this] {
            use_precise_timers();
            schedule_send();
            while (!m_finished)
                m_loop.run_once();
        });
    }

    void tasks_changed() override {
        m_tasks_changed.store(true);
        m_loop.wake();
    }

    void join() override {
        if (m_thread.joinable())
            m_thread.join();
    }

private:
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
        if (!m_pacer.back_to_back() && due - now > kSpinMargin) {
            arm_timer(std::min(due - kSpinMargin, now + kMaxTimerWait));
            return;
        }
        while (!m_pacer.back_to_back() && now < due)
            now = now_ns();
        send(due);
    }

    void arm_timer(Nanos at) {
        if (m_timer_armed)
            return; // the pending one calls schedule_send() soon enough
        m_timer_armed = true;
        m_loop.timeout_at(m_timer_op, m_timer_ts, at);
    }

    void timer_fired(int, unsigned) {
        m_timer_armed = false;
        if (!m_finished)
            schedule_send();
    }

    void send(Nanos due) {
        write_sequence(m_tx.data(), m_seq);
        const auto size = static_cast<std::uint32_t>(m_snapshot.payload);
        const Nanos t_send = now_ns();
        if (!m_book.sent(m_seq, m_pacer.back_to_back() ? t_send : due, t_send, size)) {
            arm_timer(t_send + 100 * kNanosPerMicro); // ring full (open loop): try again shortly
            return;
        }
        m_send_busy = true;
        m_send_size = size;
        m_send_done = 0;
        submit_send();
    }

    void submit_send() {
        io_uring_sqe* s = m_loop.sqe(m_send_op);
        io_uring_prep_send(s, m_fd.get(), m_tx.data() + m_send_done, m_send_size - m_send_done, MSG_NOSIGNAL);
    }

    void send_completed(int res, unsigned) {
        if (m_finished)
            return;
        if (res < 0) {
            m_send_busy = false;
            fail(describe_errno(-res));
            return;
        }
        m_send_done += static_cast<std::size_t>(res);
        if (m_send_done < m_send_size) { // a stream took part of it: send the rest
            submit_send();
            return;
        }
        m_send_busy = false;
        ++m_seq;
        m_pacer.advance();
        schedule_send();
    }

    void received(const std::byte* data, std::size_t n) override {
        if (m_finished)
            return;
        const Nanos t_recv = now_ns();
        if (m_stream) {
            if (!m_echoes.feed(data, n, t_recv)) {
                fail("echo stream out of sync: unknown sequence number");
                return;
            }
        } else {
            m_book.echo(data, n, t_recv);
        }
        m_book.expire(t_recv); // moves past the echoed message, and counts overdue ones lost
        if (!m_sending)
            check_done();
        else
            schedule_send();
    }

    void receive_failed(int err) override {
        if (!m_finished)
            fail(err == 0 ? "peer closed the connection" : describe_errno(err));
    }

    void arm_tick() { m_loop.timeout_at(m_tick_op, m_tick_ts, now_ns() + kTick); }

    void tick(int, unsigned) {
        if (m_finished)
            return;
        if (m_ctx.abort.load()) {
            finish();
            return;
        }
        const Nanos now = now_ns();
        const bool overdue = now - m_ctx.config.timeout >= m_ctx.send_until.load();
        // A stream echo is latency, not loss, until sending has stopped for a timeout.
        if (!m_stream || open_loop() || overdue)
            m_book.expire(now, overdue);
        if (m_sending)
            schedule_send(); // also notices send_until and a send slot freed by a loss
        check_done();
        if (!m_finished)
            arm_tick();
    }

    void woken(int, unsigned) {
        if (m_finished)
            return;
        if (m_ctx.abort.load()) {
            finish();
            return;
        }
        if (m_tasks_changed.exchange(false))
            m_tasks.update();
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
        m_finished = true; // the loop ends after this completion
        m_sending = false;
        m_book.expire(now_ns(), true);
        m_tasks.stop();
        m_recv.stop();
        // The ring holds the socket open while operations are pending: shut it down so the peer
        // sees the end now, not when the ring goes.
        ::shutdown(m_fd.get(), SHUT_RDWR);
        if (m_ctx.on_finished)
            m_ctx.on_finished(m_error);
    }

    PingContext& m_ctx;
    Fd m_fd;
    const bool m_stream;
    EchoBook m_book;
    EchoStream m_echoes;
    std::vector<std::byte> m_tx;
    __kernel_timespec m_timer_ts{};
    __kernel_timespec m_tick_ts{};
    BoundOp<UringPing, &UringPing::send_completed> m_send_op{*this};
    BoundOp<UringPing, &UringPing::timer_fired> m_timer_op{*this};
    BoundOp<UringPing, &UringPing::tick> m_tick_op{*this};
    BoundOp<UringPing, &UringPing::woken> m_wake_op{*this};
    // Declared after everything its pending operations point into, so it is destroyed first.
    UringLoop m_loop;
    UringRecv m_recv;
    UringTasks m_tasks;
    std::thread m_thread;
    Pacer m_pacer;
    LiveSnapshot m_snapshot{};
    std::uint64_t m_seq = 0;
    std::size_t m_send_size = 0;
    std::size_t m_send_done = 0;
    bool m_sending = true;
    bool m_send_busy = false;
    bool m_timer_armed = false;
    bool m_finished = false;
    std::atomic<bool> m_tasks_changed{false};
    std::string m_error;
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
