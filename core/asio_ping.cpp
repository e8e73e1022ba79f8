#include "asio_ping.h"

#include "asio_socket.h"
#include "asio_tasks.h"
#include "echo_book.h"
#include "pacer.h"
#include "wire.h"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <thread>
#include <type_traits>

namespace le {
namespace {

constexpr Nanos kTick = 10 * kNanosPerMilli;         // loss scan and stop checks
constexpr Nanos kMaxTimerWait = 20 * kNanosPerMilli; // live changes are seen at least this often

std::size_t ring_capacity(const PingConfig& c) {
    if (!c.open_loop)
        return 1024;
    return static_cast<std::size_t>(std::min(kRateMax * to_seconds(c.timeout) * 1.25, 16.0 * 1024 * 1024));
}

Clock::time_point at(Nanos t) {
    return Clock::time_point(std::chrono::nanoseconds(t));
}

std::string describe(const std::error_code& ec) {
    if (ec == asio::error::eof)
        return "peer closed the connection";
    if (ec == asio::error::connection_refused)
        return "connection refused by peer (is it listening?)";
    if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
        return "connection reset by peer";
    return ec.message();
}

template <bool Stream> class AsioPing final : public PingEngine {
    using Socket = std::conditional_t<Stream, asio::generic::stream_protocol::socket,
                                      asio::generic::datagram_protocol::socket>;

public:
    AsioPing(PingContext& context, Fd fd)
        : m_ctx(context)
        , m_socket(m_io)
        , m_send_timer(m_io)
        , m_tick_timer(m_io)
        , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
                 ring_capacity(context.config))
        , m_tasks(m_io, context.params)
        , m_tx(kMaxPayload)
        , m_rx(kMaxPayload + 1) {
        fill_pattern(m_tx.data(), m_tx.size());
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
        m_pacer.reset(now_ns(), m_rate);
        m_tasks.update();
        if (!Stream || m_ctx.config.open_loop)
            receive();
        tick();
        asio::post(m_io, [this] { schedule_send(); });
        m_thread = std::thread([this] {
            use_precise_timers();
            m_io.run();
        });
    }

    void tasks_changed() override {
        asio::post(m_io, [this] { m_tasks.update(); });
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
        LiveParams& p = m_ctx.params;
        if (const std::uint64_t g = p.generation.load(std::memory_order_acquire); g != m_gen) {
            m_gen = g;
            m_payload = p.payload.load();
            if (const double r = p.rate.load(); r != m_rate) {
                m_rate = r;
                m_pacer.reset(now_ns(), m_rate);
            }
        }
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
            m_send_timer.expires_at(at(std::min(due - kSpinMargin, now + kMaxTimerWait)));
            m_send_timer.async_wait([this](const std::error_code& ec) {
                if (!ec)
                    schedule_send();
            });
            return;
        }
        while (!m_pacer.back_to_back() && now < due)
            now = now_ns();
        send(due);
    }

    void send(Nanos due) {
        write_sequence(m_tx.data(), m_seq);
        const auto size = static_cast<std::uint32_t>(m_payload);
        const Nanos t_send = now_ns();
        if (!m_book.sent(m_seq, m_pacer.back_to_back() ? t_send : due, t_send, size)) {
            // Ring full (open loop, the echoes lag far behind): try again shortly.
            m_send_timer.expires_after(std::chrono::microseconds(100));
            m_send_timer.async_wait([this](const std::error_code& ec) {
                if (!ec)
                    schedule_send();
            });
            return;
        }
        m_send_busy = true;
        auto done = [this](const std::error_code& ec, std::size_t) {
            m_send_busy = false;
            if (ec) {
                fail(describe(ec));
                return;
            }
            ++m_seq;
            m_pacer.advance();
            schedule_send();
        };
        if constexpr (Stream) {
            asio::async_write(m_socket, asio::buffer(m_tx.data(), size), done);
            if (!open_loop()) // closed loop knows the size of the one echo it waits for
                asio::async_read(m_socket, asio::buffer(m_rx.data(), size),
                                 [this](const std::error_code& ec, std::size_t n) { received(ec, n); });
        } else {
            m_socket.async_send(asio::buffer(m_tx.data(), size), done);
        }
    }

    // Datagrams and open-loop streams: a receive is always pending.
    void receive() {
        if constexpr (Stream) {
            asio::async_read(m_socket, asio::buffer(m_rx.data(), kSequenceBytes),
                             [this](const std::error_code& ec, std::size_t) {
                                 if (ec) {
                                     received(ec, 0);
                                     return;
                                 }
                                 const std::uint32_t size = m_book.expected_size(read_sequence(m_rx.data()));
                                 if (size < kSequenceBytes) {
                                     fail("echo stream out of sync: unknown sequence number");
                                     return;
                                 }
                                 asio::async_read(
                                     m_socket,
                                     asio::buffer(m_rx.data() + kSequenceBytes, size - kSequenceBytes),
                                     [this](const std::error_code& ec2, std::size_t n) {
                                         received(ec2, n + kSequenceBytes);
                                     });
                             });
        } else {
            m_socket.async_receive(asio::buffer(m_rx),
                                   [this](const std::error_code& ec, std::size_t n) { received(ec, n); });
        }
    }

    void received(const std::error_code& ec, std::size_t n) {
        const Nanos t_recv = now_ns();
        if (ec) {
            if (ec != asio::error::operation_aborted)
                fail(describe(ec));
            return;
        }
        m_book.echo(m_rx.data(), n, t_recv);
        if (!Stream || open_loop())
            receive();
        m_book.expire(t_recv); // moves past the echoed message, and counts overdue ones lost
        if (!m_sending)
            check_done();
        else
            schedule_send();
    }

    void tick() {
        m_tick_timer.expires_after(std::chrono::nanoseconds(kTick));
        m_tick_timer.async_wait([this](const std::error_code& ec) {
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
        });
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
        m_io.stop();
    }

    PingContext& m_ctx;
    asio::io_context m_io;
    Socket m_socket;
    asio::steady_timer m_send_timer;
    asio::steady_timer m_tick_timer;
    EchoBook m_book;
    AsioTasks m_tasks;
    std::vector<std::byte> m_tx;
    std::vector<std::byte> m_rx;
    std::thread m_thread;
    Pacer m_pacer;
    std::uint64_t m_gen = 0;
    double m_rate = 0;
    std::size_t m_payload = 0;
    std::uint64_t m_seq = 0;
    bool m_sending = true;
    bool m_send_busy = false;
    bool m_finished = false;
    std::string m_error;
};

} // namespace

std::unique_ptr<PingEngine> make_asio_ping(PingContext& context, Fd socket) {
    if (is_stream(context.config.effective_transport()))
        return std::make_unique<AsioPing<true>>(context, std::move(socket));
    return std::make_unique<AsioPing<false>>(context, std::move(socket));
}

} // namespace le
