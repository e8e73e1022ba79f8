#include "blocking_ping.h"

#include "blocking_io.h"
#include "pacer.h"
#include "start_thread.h"
#include "wire.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <poll.h>
#include <span>

namespace le {
namespace {

constexpr Nanos kSlice = 10 * kNanosPerMilli; // how often a blocked call looks around

// An open loop's turn found nothing to read: sleeps until an echo comes (or, with `write`, room to
// write what the socket refused) or, when `paced`, up to kSpinMargin before `due` (from there the
// turns poll both ways until it, as sleeps overshoot), at most kSlice so that a live change and the
// loss scan are seen.
void idle(int fd, bool write, bool paced, Nanos due, Nanos now) noexcept {
    const Nanos wait = paced ? std::min(kSlice, due - now - kSpinMargin) : kSlice;
    if (wait <= 0)
        return;
    pollfd pfd{fd, static_cast<short>(POLLIN | (write ? POLLOUT : 0)), 0};
    const timespec ts{static_cast<time_t>(wait / kNanosPerSecond), static_cast<long>(wait % kNanosPerSecond)};
    ::ppoll(&pfd, 1, &ts, nullptr);
}

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
    if (m_ctx.config.open_loop && m_batching) {
        m_threads.push_back(start_thread("the ping", [this] { open_loop_datagrams(); }));
    } else if (m_ctx.config.open_loop) {
        m_threads.push_back(start_thread("the ping", [this] { open_loop_messages(); }));
    } else {
        m_threads.push_back(start_thread("the ping", [this] { closed_loop(); }));
    }
}

void BlockingPing::fail(std::string error) {
    if (m_error.empty())
        m_error = std::move(error);
}

void BlockingPing::finish() {
    if (m_ctx.on_finished)
        m_ctx.on_finished(m_error);
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
            // With the split, the TX stamp is read now, while the echo is on its way (a loopback
            // send has queued it by the time the call returns), not after the echo on the round
            // trip's critical path; one the kernel has not queued yet is read then (finish()).
            m_split.take_tx_early();
            if (!await_echo(payload, t_send))
                break;
        }
        ++seq;
        pacer.advance();
        m_book.skip_missed(pacer, now_ns(), m_ctx.send_until.load(std::memory_order_relaxed));
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

int BlockingPing::book_stamped(iovec* iov, Pacer& pacer, std::uint64_t& seq, std::size_t payload,
                               Nanos send_until, bool& ring_full) noexcept {
    const auto most = static_cast<int>(std::min<std::size_t>(DatagramBatch::kMax, m_tx.size() / payload));
    const Nanos now = now_ns();
    int n = 0;
    while (n < most && now < send_until && (pacer.back_to_back() || pacer.due() <= now)) {
        std::byte* const message = m_tx.data() + static_cast<std::size_t>(n) * payload;
        // Booked before the write: the echo may be read before the write call returns.
        if (!m_book.sent(seq, pacer.back_to_back() ? now : pacer.due(), now,
                         static_cast<std::uint32_t>(payload))) {
            ring_full = true;
            break;
        }
        m_book.stamp(message, seq, payload);
        iov[n] = {message, payload};
        ++n;
        ++seq;
        pacer.advance();
    }
    return n;
}

int BlockingPing::read_echoes(int fd) {
    // A stream: whatever has arrived (the buffer holds more than the largest message), cut into
    // echoes. Datagrams: one echo each, every one waiting up to a bound, so that the sends due are
    // not kept waiting behind a flood.
    int reads = 0;
    for (; reads < DatagramReceive::kMax; ++reads) {
        const ssize_t r = ::recv(fd, m_rx.data(), m_rx.size(), MSG_DONTWAIT);
        if (r < 0 && would_block(errno))
            return reads;
        if (r < 0 || (r == 0 && m_stream)) { // an empty datagram is a bad echo, not an end
            if (!should_abort())
                fail(r < 0 ? describe_errno(errno) : describe_io_failure(IoResult{IoStatus::Closed, 0, 0}));
            return -1;
        }
        const Nanos t_recv = now_ns();
        const auto n = static_cast<std::size_t>(r);
        if (!m_stream) {
            m_book.echo(m_rx.data(), n, t_recv);
        } else if (!m_echoes->feed(m_rx.data(), n, t_recv)) {
            fail(m_echoes->error());
            return -1;
        }
        m_book.expire(t_recv);
        if (m_stream)
            return 1;
    }
    return reads;
}

void BlockingPing::open_loop_messages() {
    use_precise_timers();
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;
    std::uint64_t seq = 0;
    bool sending = true;
    // The messages booked and not yet written: two buffers each (header, shared pattern) from
    // m_batch, or one each (a stamped stretch of m_tx) with payload verification.
    std::array<iovec, 2 * DatagramBatch::kMax> iov_buffer{};
    iovec* iov_at = iov_buffer.data();
    std::size_t iov_left = 0;
    while (!should_abort()) {
        const Nanos send_until = m_ctx.send_until.load(std::memory_order_relaxed);
        bool ring_full = false; // the echoes lag a whole ring behind: wait for them, not the schedule
        if (sending && iov_left == 0) {
            follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
            if (now_ns() >= send_until) {
                sending = false;
            } else if (pacer.back_to_back() || pacer.due() <= now_ns()) { // every message due
                iov_at = iov_buffer.data();
                if (m_stream_batching) {
                    if (m_batch.book_due(m_book, pacer, seq, payload, send_until, ring_full) > 0) {
                        const std::span<const iovec> booked = m_batch.booked();
                        std::copy(booked.begin(), booked.end(), iov_buffer.begin());
                        iov_left = booked.size();
                        m_batch.clear();
                    }
                } else {
                    iov_left = static_cast<std::size_t>(
                        book_stamped(iov_buffer.data(), pacer, seq, payload, send_until, ring_full));
                }
            }
        }
        // A stream takes the whole batch in one gathered write; datagrams go one send each. Never
        // blocking: a full socket buffer leaves the rest for when ppoll says there is room, and the
        // echoes are read meanwhile (a peer whose replies fill our buffer stops reading).
        bool blocked = false, failed = false;
        while (iov_left > 0 && !blocked && !failed) {
            const ssize_t r = send_iov(fd, iov_at, m_stream ? iov_left : 1, MSG_DONTWAIT);
            if (r >= 0) {
                advance_iov(iov_at, iov_left, static_cast<std::size_t>(r));
                blocked = m_stream && iov_left > 0;
            } else if (would_block(errno)) {
                blocked = errno != EINTR;
            } else {
                if (!should_abort())
                    fail(describe_errno(errno));
                failed = true;
            }
        }
        if (failed)
            break;
        const int read = read_echoes(fd);
        if (read < 0)
            break;
        if (read > 0)
            continue; // what is due goes out first, then the rest of what waits
        const Nanos now = now_ns();
        // The loss scan. Everything still out is given up a timeout after sending ended, also
        // messages still being written to a peer that stopped reading (booked, so counted lost).
        const bool overdue = now - timeout >= send_until;
        if (overdue && iov_left > 0) {
            iov_left = 0;
            sending = false;
        }
        m_book.expire(now, !sending && overdue);
        if (!sending && iov_left == 0 && m_book.outstanding() == 0)
            break;
        idle(fd, blocked, sending && iov_left == 0 && !ring_full, pacer.due(), now);
    }
    m_book.expire(now_ns(), true);
    finish();
}

void BlockingPing::open_loop_datagrams() {
    use_precise_timers();
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;
    // A pong's batched echoes (one GSO send each) read as whole buffers, not cut apart on their way
    // in (datagram_receive.h); not with RX stamps, one per buffer.
    if (!m_open_split.on())
        m_receive.enable_gro(fd);
    std::uint64_t seq = 0;
    bool sending = true;
    while (!should_abort()) {
        const Nanos send_until = m_ctx.send_until.load(std::memory_order_relaxed);
        bool blocked = false; // the socket buffer took only part: wait for room too
        if (sending) {
            follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
            if (m_batch.pending() > 0 || pacer.due() <= now_ns()) { // every message due, one sendmmsg
                const DatagramBatch::Result r = m_batch.send_due(fd, m_book, pacer, seq, payload, send_until);
                if (r.error) {
                    if (!should_abort())
                        fail(describe_errno(r.error));
                    break;
                }
                blocked = r.pending;
            }
            if (now_ns() >= send_until && m_batch.pending() == 0) {
                sending = false;
            }
        }
        const DatagramReceive::Result b = m_receive.receive(fd, m_book, false, &m_open_split);
        if (b.error) {
            if (!should_abort())
                fail(describe_errno(b.error));
            break;
        }
        if (b.received > 0)
            continue; // what is due goes out first, then the rest of what waits
        Nanos now = now_ns();
        m_book.expire(now, !sending && now - timeout >= send_until); // the loss scan
        if (!sending && m_book.outstanding() == 0)
            break;
        idle(fd, blocked, sending && !blocked, pacer.due(), now);
    }
    m_book.expire(now_ns(), true);
    finish();
}

} // namespace le
