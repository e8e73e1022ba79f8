#pragma once

// The asio and asio-pool engines' ping (asio_ping.h makes them): the class, its pacing and sending.
// Its receive side is defined in asio_ping.cpp, the one file that instantiates it.

#include "asio_socket.h"
#include "asio_tasks.h"
#include "blocking_io.h"
#include "datagram_batch.h"
#include "datagram_receive.h"
#include "echo_book.h"
#include "echo_stream.h"
#include "kernel_split.h"
#include "open_loop_split.h"
#include "pacer.h"
#include "ping_engine.h"
#include "start_thread.h"
#include "wire.h"

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <span>
#include <sys/socket.h>
#include <thread>
#include <type_traits>
#include <vector>

namespace le::asio_ping_detail {

inline constexpr Nanos kTick = 10 * kNanosPerMilli;         // loss scan and stop checks
inline constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often
inline constexpr Nanos kSendRetry = 50 * kNanosPerMicro;    // a full socket buffer or echo ring
inline constexpr int kMaxDrainBatches = 4; // recvmmsg calls per echo turn (DatagramReceive::kMax each)

inline Clock::time_point at(Nanos t) {
    return Clock::time_point(std::chrono::nanoseconds(t));
}

inline std::string describe(const std::error_code& ec) {
    if (ec == asio::error::eof)
        return "peer closed the connection";
    if (ec == asio::error::connection_refused)
        return "connection refused by peer (is it listening?)";
    if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
        return "connection reset by peer";
    return ec.message();
}

// Pool = false: the asio engine, one thread, handlers on the io_context itself. Pool = true: the
// asio-pool engine, `threads` threads run the io_context and every data-path handler (send, receive,
// pacing timer, loss scan) goes through one strand, so the EchoBook, pacer and flags below are only
// ever touched by one thread at a time without a lock; the compute tasks are not on the strand and
// spread over the pool. The single-thread engine binds nothing, so it pays nothing for this.
template <bool Stream, bool Pool> class AsioPing final : public PingEngine {
    using Socket = std::conditional_t<Stream, asio::generic::stream_protocol::socket,
                                      asio::generic::datagram_protocol::socket>;
    using Executor = std::conditional_t<Pool, asio::strand<asio::io_context::executor_type>,
                                        asio::io_context::executor_type>;

public:
    AsioPing(PingContext& context, Fd fd, int threads)
        : m_ctx(context)
        , m_threads(Pool ? threads : 1)
        , m_io(Pool ? threads : ASIO_CONCURRENCY_HINT_DEFAULT)
        , m_path(make_path_executor(m_io))
        , m_socket(m_io)
        , m_send_timer(m_io)
        , m_tick_timer(m_io)
        , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
                 echo_ring_capacity(context.config), context.config.verify_payload, context.config.burst > 1)
        , m_split(fd.get(), context.config.effective_transport(),
                  context.config.kernel_timestamps && !context.config.open_loop)
        , m_open_split(fd.get(), context.config)
        , m_tasks(m_io, context.params, m_threads)
        , m_tx(kMaxPayload)
        , m_rx(kMaxPayload + 1)
        , m_batching(!Stream && context.config.open_loop && !context.config.verify_payload)
        , m_batch(m_tx.data()) {
        fill_pattern(m_tx.data(), m_tx.size());
        if (Stream && context.config.open_loop)
            m_echoes.emplace(m_book, false);
        if constexpr (Stream) {
            const auto protocol = stream_protocol_of(fd.get());
            m_socket.assign(protocol, fd.release());
        } else {
            const auto protocol = datagram_protocol_of(fd.get());
            m_socket.assign(protocol, fd.release());
        }
    }

    ~AsioPing() override {
        m_ctx.abort.store(true);
        join();
    }

    void start() override {
        LiveParams& p = m_ctx.params;
        m_gen = p.generation.load();
        m_rate = p.rate.load();
        m_payload = p.payload.load();
        m_pacer.reset(now_ns(), m_rate, m_ctx.config.burst);
        m_tasks.update();
        // Nothing runs yet, so these may touch the data path from this thread.
        // Open loop over datagrams: the pong's batched echoes (one GSO send each) read as whole
        // buffers (datagram_receive.h), by the reads that see control messages (split_receive()).
        if (m_batching && !m_open_split.on())
            m_receive.enable_gro(m_socket.native_handle());
        if (!Stream || m_ctx.config.open_loop)
            receive();
        tick();
        asio::post(m_path, [this] { schedule_send(); });
        for (int i = 0; i < m_threads; ++i)
            m_pool.push_back(start_thread("the ping", [this] {
                use_precise_timers();
                m_io.run();
            }));
    }

    void tasks_changed() override { m_tasks.update(); } // AsioTasks hops onto its own executor

    std::string split_unavailable() const override {
        return le::split_unavailable(m_ctx.config, m_split, m_open_split);
    }

    void join() override {
        for (auto& t : m_pool)
            if (t.joinable())
                t.join();
    }

private:
    static Executor make_path_executor(asio::io_context& io) {
        if constexpr (Pool)
            return asio::make_strand(io);
        else
            return io.get_executor();
    }

    // Every completion handler of the data path goes through this: onto the strand in a pool.
    template <class Handler> auto on_path(Handler&& handler) {
        if constexpr (Pool)
            return asio::bind_executor(m_path, std::forward<Handler>(handler));
        else
            return std::forward<Handler>(handler);
    }

    bool open_loop() const { return m_ctx.config.open_loop; }

    void schedule_send() {
        if (!m_sending || m_send_busy || m_send_waiting || (!open_loop() && m_book.outstanding() > 0))
            return;
        LiveParams& p = m_ctx.params;
        follow_live_params(p, m_gen, m_rate, m_payload, m_pacer, m_ctx.config.burst);
        Nanos now = now_ns();
        if (!open_loop())
            m_book.skip_missed(m_pacer, now, m_ctx.send_until.load(std::memory_order_relaxed));
        if (now >= m_ctx.send_until.load(std::memory_order_relaxed)) {
            m_sending = false;
            check_done();
            return;
        }
        const Nanos due = m_pacer.due();
        if (!m_pacer.back_to_back() && due - now > kSpinMargin) {
            send_again_at(std::min(due - kSpinMargin, now + kMaxTimerWait));
            return;
        }
        if (open_loop() && !m_pacer.back_to_back() && now < due) {
            // The last stretch spins through the event loop, not inside this handler: the thread
            // also reads the echoes, and a spin here would leave them queued in the socket (their
            // wait, not the network's, would become the latency of every message).
            send_again_soon();
            return;
        }
        while (!m_pacer.back_to_back() && now < due)
            now = now_ns();
        if (m_batching)
            send_batch();
        else if (m_echoes && !m_ctx.config.verify_payload)
            send_stream_batch();
        else
            send(due);
    }

    // schedule_send() again at `when` (a timer; meanwhile schedule_send() from elsewhere waits for it).
    void send_again_at(Nanos when) {
        m_send_waiting = true;
        m_send_timer.expires_at(at(when));
        m_send_timer.async_wait(on_path([this](const std::error_code& ec) {
            m_send_waiting = false;
            if (!ec)
                schedule_send();
        }));
    }

    // schedule_send() again after what is queued on the data path (the echoes read meanwhile).
    void send_again_soon() {
        m_send_waiting = true;
        asio::post(m_path, [this] {
            m_send_waiting = false;
            schedule_send();
        });
    }

    // Open loop over datagrams: every message due now in one sendmmsg. More due (a full batch) is
    // posted rather than looped, so the echoes waiting to be read get their turn in between.
    void send_batch() {
        const DatagramBatch::Result r =
            m_batch.send_due(m_socket.native_handle(), m_book, m_pacer, m_seq, m_payload,
                             m_ctx.send_until.load(std::memory_order_relaxed));
        if (r.error) {
            fail(describe(std::error_code(r.error, std::system_category())));
            return;
        }
        if (r.pending || r.ring_full) {
            send_again_at(now_ns() + kSendRetry);
        } else {
            send_again_soon();
        }
    }

    // Open loop over a stream: every message due now in one gathered write (DatagramBatch books
    // them), so a sender that fell behind catches up in one event-loop turn, not one per message.
    void send_stream_batch() {
        bool ring_full = false;
        const int n = m_batch.book_due(m_book, m_pacer, m_seq, m_payload,
                                       m_ctx.send_until.load(std::memory_order_relaxed), ring_full);
        if (n == 0) { // a full ring (the echoes lag far behind), or send_until came: look again shortly
            send_again_at(now_ns() + kSendRetry);
            return;
        }
        const std::span<const iovec> iov = m_batch.booked();
        for (std::size_t i = 0; i < iov.size(); ++i)
            m_stream_buffers[i] = asio::const_buffer(iov[i].iov_base, iov[i].iov_len);
        m_send_busy = true;
        if constexpr (Stream)
            asio::async_write(m_socket,
                              std::span<const asio::const_buffer>(m_stream_buffers.data(), iov.size()),
                              on_path([this](const std::error_code& ec, std::size_t) {
                                  m_send_busy = false;
                                  m_batch.clear();
                                  if (ec) {
                                      fail(describe(ec));
                                      return;
                                  }
                                  schedule_send();
                              }));
    }

    void send(Nanos due) {
        m_book.stamp(m_tx.data(), m_seq, m_payload);
        const auto size = static_cast<std::uint32_t>(m_payload);
        const Nanos t_send = now_ns();
        if (!m_book.sent(m_seq, m_pacer.back_to_back() ? t_send : due, t_send, size)) {
            // Ring full (open loop, the echoes lag far behind): try again shortly.
            send_again_at(now_ns() + kSendRetry);
            return;
        }
        m_send_busy = true;
        m_t_send = t_send;
        auto done = on_path([this](const std::error_code& ec, std::size_t) {
            m_send_busy = false;
            if (ec) {
                fail(describe(ec));
                return;
            }
            ++m_seq;
            m_pacer.advance();
            schedule_send();
        });
        m_split.sent(size); // the TX stamp's id: one datagram, or the message's last byte
        if constexpr (Stream) {
            asio::async_write(m_socket, asio::buffer(m_tx.data(), size), std::move(done));
            if (m_split.on())
                stamped_receive(size, 0);
            else if (!open_loop()) // closed loop knows the size of the one echo it waits for
                asio::async_read(
                    m_socket, asio::buffer(m_rx.data(), size),
                    on_path([this](const std::error_code& ec, std::size_t n) { received(ec, n); }));
        } else {
            m_socket.async_send(asio::buffer(m_tx.data(), size), std::move(done));
        }
    }

    // Closed loop with the kernel split: Asio's own receive gives no control messages, so wait until
    // readable and read with recvmsg (KernelSplit::recv), keeping the RX stamp of the read that
    // completes the echo (`want` bytes of a stream, one datagram). A wake-up with nothing to read (a
    // TX stamp queued on the socket's error queue also signals it) just waits again.
    void stamped_receive(std::size_t want, std::size_t got);
    // Datagrams and open-loop streams: a receive is always pending.
    void receive();
    void received(const std::error_code& ec, std::size_t n);
    // Open loop over datagrams: after one echo, every other one waiting, in recvmmsg batches (at
    // most a few, so the sends due meanwhile get their turn). False when the run failed.
    bool drain_echoes();
    // Open loop over datagrams with the split or UDP GRO: wait until readable, then read the echoes
    // with their control messages (RX stamps, segment sizes: DatagramReceive); Asio's own receive
    // gives none.
    void split_receive();
    void split_read();

    void tick() {
        m_tick_timer.expires_after(std::chrono::nanoseconds(kTick));
        m_tick_timer.async_wait(on_path([this](const std::error_code& ec) {
            if (ec)
                return;
            if (m_ctx.abort.load()) {
                finish();
                return;
            }
            const Nanos now = now_ns();
            const bool overdue = now - m_ctx.config.timeout >= m_ctx.send_until.load();
            // A stream echo is latency, not loss, until sending has stopped for a timeout.
            if (!Stream || open_loop() || overdue)
                m_book.expire(now, overdue);
            if (m_sending)
                schedule_send(); // also notices send_until and a send slot freed by a loss
            check_done();
            if (!m_finished)
                tick();
        }));
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
        m_tasks.stop();
        m_send_timer.cancel();
        m_tick_timer.cancel();
        std::error_code ignored;
        m_socket.close(ignored);
        if (m_ctx.on_finished)
            m_ctx.on_finished(m_error);
        m_io.stop(); // every pool thread returns once its current handler (a task's work) is done
    }

    PingContext& m_ctx;
    const int m_threads;
    asio::io_context m_io;
    Executor m_path; // the data path's executor: the strand in a pool, the io_context otherwise
    Socket m_socket;
    asio::steady_timer m_send_timer;
    asio::steady_timer m_tick_timer;
    EchoBook m_book;
    KernelSplit m_split;        // closed loop with config.kernel_timestamps; off otherwise
    OpenLoopSplit m_open_split; // open loop over datagrams with config.kernel_timestamps
    AsioTasks m_tasks;
    std::vector<std::byte> m_tx;
    std::vector<std::byte> m_rx;
    const bool m_batching; // datagrams in open loop go out in batches (DatagramBatch)
    DatagramBatch m_batch;
    DatagramReceive m_receive;          // with m_batching, reads the echoes that wait behind the first
    std::optional<EchoStream> m_echoes; // open-loop streams: cuts what arrives into echoes
    std::array<asio::const_buffer, 2 * DatagramBatch::kMax> m_stream_buffers; // a gathered write's
    std::vector<std::thread> m_pool;
    Pacer m_pacer;
    std::uint64_t m_gen = 0;
    double m_rate = 0;
    std::size_t m_payload = 0;
    std::uint64_t m_seq = 0;
    Nanos m_t_send = 0; // when the send call of the message in flight began (closed loop)
    bool m_sending = true;
    bool m_send_busy = false;
    bool m_send_waiting = false; // schedule_send() is due again from a timer or a post
    bool m_finished = false;
    std::string m_error;
};

} // namespace le::asio_ping_detail
