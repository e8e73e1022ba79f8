#include "blocking_ping.h"

#include "blocking_io.h"
#include "pacer.h"
#include "start_thread.h"
#include "wire.h"

#include <algorithm>

namespace le {
namespace {

constexpr Nanos kSlice = 10 * kNanosPerMilli; // how often a blocked call looks around

} // namespace

BlockingPing::BlockingPing(PingContext& context, Fd socket)
    : ThreadPing(context, std::move(socket)) {
    set_recv_timeout(m_fd.get(), kSlice);
    set_send_timeout(m_fd.get(), kSlice);
}

BlockingPing::~BlockingPing() {
    abort_and_join();
}

void BlockingPing::start() {
    if (m_ctx.config.open_loop) {
        m_threads.push_back(start_thread("the ping's receiver", [this] { open_loop_receiver(); }));
        m_threads.push_back(start_thread("the ping's sender", [this] { open_loop_sender(); }));
    } else {
        m_threads.push_back(start_thread("the ping", [this] { closed_loop(); }));
    }
}

void BlockingPing::fail(std::string error) {
    std::lock_guard lock(m_error_mutex);
    if (m_error.empty())
        m_error = std::move(error);
    m_failed.store(true);
}

void BlockingPing::finish() {
    std::string error;
    {
        std::lock_guard lock(m_error_mutex);
        error = m_error;
    }
    if (m_ctx.on_finished)
        m_ctx.on_finished(error);
}

void BlockingPing::closed_loop() {
    use_precise_timers();
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);
    const int fd = m_fd.get();
    const auto keep_going = [this] { return !should_abort(); };

    std::uint64_t seq = 0;
    while (!should_abort()) {
        follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
        if (!pacer.back_to_back() && !wait_until(pacer.due(), &p.generation, gen, &m_ctx.abort))
            continue;
        m_book.stamp(m_tx.data(), seq, payload);
        const Nanos t_send = now_ns();
        if (t_send >= m_ctx.send_until.load(std::memory_order_relaxed))
            break;
        const Nanos intended = pacer.back_to_back() ? t_send : pacer.due();
        if (m_stream && payload > kExchangeAbove) {
            // Larger than a socket buffer: send and read at once, or both ends would wait on each other.
            m_book.sent(seq, intended, t_send, static_cast<std::uint32_t>(payload));
            m_split.sent(payload); // keeps the keys in step; this echo is read unstamped
            const IoResult r = exchange_stream(fd, m_tx.data(), m_rx.data(), payload, [this] {
                return !should_abort() &&
                       now_ns() - m_ctx.config.timeout < m_ctx.send_until.load(std::memory_order_relaxed);
            });
            const Nanos t_recv = now_ns();
            if (r.status != IoStatus::Ok) {
                if (r.status != IoStatus::Idle)
                    fail(describe_io_failure(r));
                break;
            }
            if (std::string e = closed_stream_echo_error(
                    m_book.echo(m_rx.data(), r.bytes, t_recv, m_split.finish(t_send, t_recv)));
                !e.empty()) {
                fail(std::move(e));
                break;
            }
            m_book.expire(t_recv);
        } else {
            const IoResult sent = send_all(fd, m_tx.data(), payload, keep_going);
            if (sent.status != IoStatus::Ok) {
                if (!should_abort())
                    fail(describe_io_failure(sent));
                break;
            }
            m_book.sent(seq, intended, t_send, static_cast<std::uint32_t>(payload));
            m_split.sent(payload);
            if (!await_echo(payload, t_send))
                break;
        }
        ++seq;
        pacer.advance();
        pacer.skip_missed(now_ns());
    }
    m_book.expire(now_ns(), true);
    finish();
}

bool BlockingPing::await_echo(std::size_t payload, Nanos t_send) {
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;
    // A datagram is lost after the timeout; a stream echo is only given up on once sending should
    // have stopped (TCP retransmits, so a slow echo is latency, not loss).
    const auto idle = [&] {
        if (should_abort())
            return false;
        const Nanos now = now_ns();
        if (!m_stream)
            return now - m_book.oldest_sent() < timeout;
        return now - timeout < m_ctx.send_until.load(std::memory_order_relaxed);
    };
    while (m_book.outstanding() > 0) {
        const IoResult r = m_stream ? recv_exact(fd, m_rx.data(), payload, idle, m_split.rx_stamp())
                                    : recv_some(fd, m_rx.data(), m_rx.size(), idle, m_split.rx_stamp());
        const Nanos t_recv = now_ns();
        if (r.status == IoStatus::Idle) {
            m_book.expire(t_recv, true);
            return true;
        }
        if (r.status != IoStatus::Ok) {
            fail(describe_io_failure(r));
            return false;
        }
        const EchoBook::Echo echo = m_book.echo(m_rx.data(), r.bytes, t_recv, m_split.finish(t_send, t_recv));
        if (std::string e = m_stream ? closed_stream_echo_error(echo) : std::string(); !e.empty()) {
            fail(std::move(e));
            return false;
        }
        m_book.expire(t_recv); // moves past the echoed message
    }
    return true;
}

void BlockingPing::open_loop_sender() {
    use_precise_timers();
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);
    const int fd = m_fd.get();
    const auto keep_going = [this] { return !should_abort() && !m_failed.load(std::memory_order_relaxed); };

    std::uint64_t seq = 0;
    while (keep_going()) {
        follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
        if (!wait_until(pacer.due(), &p.generation, gen, &m_ctx.abort))
            continue;
        if (m_batching) { // every message due by now in one sendmmsg
            const DatagramBatch::Result r = m_batch.send_due(
                fd, m_book, pacer, seq, payload, m_ctx.send_until.load(std::memory_order_relaxed));
            if (r.error) {
                if (!should_abort())
                    fail(describe_errno(r.error));
                break;
            }
            if (r.pending || r.ring_full) // the socket buffer or the echo ring is full: the receiver lags
                std::this_thread::sleep_for(std::chrono::microseconds(50));
            if (now_ns() >= m_ctx.send_until.load(std::memory_order_relaxed) && m_batch.pending() == 0)
                break;
            continue;
        }
        m_book.stamp(m_tx.data(), seq, payload);
        const Nanos now = now_ns();
        if (now >= m_ctx.send_until.load(std::memory_order_relaxed))
            break;
        // Booked before the send: the echo may be back before send() returns.
        if (!m_book.sent(seq, pacer.due(), now, static_cast<std::uint32_t>(payload))) {
            std::this_thread::sleep_for(std::chrono::microseconds(100)); // ring full: the receiver lags
            continue;
        }
        const IoResult sent = send_all(fd, m_tx.data(), payload, keep_going);
        if (sent.status != IoStatus::Ok) {
            if (!should_abort())
                fail(describe_io_failure(sent));
            break;
        }
        ++seq;
        pacer.advance();
    }
    m_sending_done.store(true);
}

void BlockingPing::open_loop_receiver() {
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;
    const auto done = [&] {
        return should_abort() || ((m_sending_done.load() || m_failed.load()) && m_book.outstanding() == 0);
    };
    const auto idle = [&] {
        const Nanos now = now_ns();
        m_book.expire(now, m_sending_done.load() && now - timeout >= m_ctx.send_until.load());
        return !done();
    };
    while (!done()) {
        IoResult r;
        if (m_stream) {
            r = recv_exact(fd, m_rx.data(), kSequenceBytes, idle);
            if (r.status == IoStatus::Ok) {
                const std::uint32_t size = m_book.expected_size(read_sequence(m_rx.data()));
                if (size < kSequenceBytes) {
                    fail("echo stream out of sync: unknown sequence number");
                    break;
                }
                r = recv_exact(fd, m_rx.data() + kSequenceBytes, size - kSequenceBytes, idle);
                r.bytes += kSequenceBytes;
            }
        } else {
            r = recv_some(fd, m_rx.data(), m_rx.size(), idle);
        }
        const Nanos t_recv = now_ns();
        if (r.status == IoStatus::Idle)
            continue;
        if (r.status != IoStatus::Ok) {
            if (!should_abort())
                fail(describe_io_failure(r));
            break;
        }
        m_book.echo(m_rx.data(), r.bytes, t_recv);
        m_book.expire(t_recv);
    }
    while (!m_sending_done.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    m_book.expire(now_ns(), true);
    finish();
}

} // namespace le
