#include "spin_ping.h"

#include "blocking_io.h"
#include "pacer.h"
#include "poll_io.h"
#include "start_thread.h"
#include "wire.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>
#include <sys/socket.h>

namespace le {
namespace {

constexpr int kSendFlags = MSG_DONTWAIT | MSG_NOSIGNAL; // a vanished peer is an error, not a SIGPIPE
// Closed loop: empty polls between two looks at the clock and the abort flag. The wait for an echo
// is its round trip, so a poll turn is kept to the receive call itself (a minimal busy poller's
// turn); the give-up rules need the clock only to within a few microseconds.
constexpr unsigned kPollsPerCheck = 16;

std::string peer_closed() {
    return describe_io_failure(IoResult{IoStatus::Closed, 0, 0});
}

} // namespace

SpinPing::SpinPing(PingContext& context, Fd socket)
    : ThreadPing(context, std::move(socket)) {}

SpinPing::~SpinPing() {
    abort_and_join();
}

void SpinPing::start() {
    m_threads.push_back(start_thread("the ping", [this] {
        if (m_ctx.config.open_loop)
            open_loop();
        else
            closed_loop();
        m_book.expire(now_ns(), true);
        if (m_ctx.on_finished)
            m_ctx.on_finished(m_error);
    }));
}

void SpinPing::fail(std::string error) {
    if (m_error.empty() && !should_abort()) // after an abort, a failing call is the abort's doing
        m_error = std::move(error);
}

// Spins (no sleep: that is the point of this engine) until `due`. Returns false when a live change
// or an abort interrupts, so the caller re-reads the parameters; returns true early once sending
// should stop, which the caller checks next.
bool SpinPing::spin_until(Nanos due, std::uint64_t gen) const noexcept {
    const LiveParams& p = m_ctx.params;
    for (Nanos now = now_ns(); now < due && now < send_until(); now = now_ns())
        if (p.generation.load(std::memory_order_relaxed) != gen || should_abort())
            return false;
    return true;
}

void SpinPing::closed_loop() {
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);

    std::uint64_t seq = 0;
    while (!should_abort()) {
        follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
        if (!pacer.back_to_back() && !spin_until(pacer.due(), gen))
            continue;
        m_book.stamp(m_tx.data(), seq, payload);
        const Nanos t_send = now_ns();
        if (t_send >= send_until())
            break;
        if (!exchange(seq, pacer.back_to_back() ? t_send : pacer.due(), t_send, payload))
            break;
        ++seq;
        if (!pacer.back_to_back()) { // back-to-back has no schedule to keep
            pacer.advance();
            m_book.skip_missed(pacer, now_ns(), send_until());
        }
    }
}

// Closed loop, one message: sends it and polls for its echo, with the blocking engine's give-up
// rules. A stream is read while it is still being written: a large echo starts coming back before
// the send is done, and a peer that cannot write back stops reading. Returns false when the run
// has to end (m_error says why, unless it was an abort or the end of sending).
bool SpinPing::exchange(std::uint64_t seq, Nanos intended, Nanos t_send, std::size_t size) {
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;
    // Locals, not members: the poll calls are opaque to the compiler, which would reload members
    // from memory after each one.
    const bool stream = m_stream;
    const std::byte* const tx = m_tx.data();
    std::byte* const rx = m_rx.data();
    const std::size_t rx_size = m_rx.size();
    std::size_t sent = 0;
    std::size_t got = 0; // stream: bytes of the echo so far
    const bool split_on = m_split.on();
    bool tx_taken = false; // the split: this message's TX stamp was looked for
    // Booked as its write starts: a peer that stops reading mid-message leaves it unanswered for the
    // peer-lost watchdog to see (one slot of the ring is always free in closed loop).
    m_book.sent(seq, intended, t_send, static_cast<std::uint32_t>(size));
    for (unsigned turn = 1;; ++turn) {
        if (sent < size) {
            const ssize_t r = poll_send(fd, tx + sent, size - sent, kSendFlags);
            if (r >= 0) {
                sent += static_cast<std::size_t>(r);
                m_split.sent(static_cast<std::size_t>(r));
                // With the split, the TX stamp is read as soon as the message is out (a loopback send
                // has queued it by the time the call returns): the echo cannot be back yet, so the
                // call costs the round trip nothing. Read after the echo instead, it was on the
                // round trip's critical path; on a later empty poll turn, it could delay noticing
                // an echo that had just arrived.
                if (split_on && sent == size && !tx_taken) {
                    m_split.take_tx_early();
                    tx_taken = true;
                }
            } else if (!would_block(errno)) {
                fail(describe_errno(errno));
                return false;
            }
        }
        if (stream || sent == size) {
            const ssize_t r = stream ? m_split.recv(fd, rx + got, size - got, MSG_DONTWAIT)
                                     : m_split.recv(fd, rx, rx_size, MSG_DONTWAIT);
            if (r > 0 || (r == 0 && !stream)) { // an empty datagram is a bad echo, not an end
                const Nanos t_recv = now_ns();
                if (stream) {
                    got += static_cast<std::size_t>(r);
                    if (got < size)
                        continue;
                }
                const EchoBook::Echo echo = m_book.echo(rx, stream ? size : static_cast<std::size_t>(r),
                                                        t_recv, m_split.finish(t_send, t_recv));
                if (std::string e = stream ? closed_stream_echo_error(echo) : std::string(); !e.empty()) {
                    fail(std::move(e));
                    return false;
                }
                m_book.expire(t_recv); // moves past the echoed message
                if (m_book.outstanding() == 0)
                    return true;
                continue; // a datagram echo of a message already counted lost: keep waiting
            }
            if (r == 0) {
                fail(peer_closed());
                return false;
            }
            if (!would_block(errno)) {
                fail(describe_errno(errno));
                return false;
            }
        }
        // A datagram is lost after the timeout; a stream echo is only given up on once sending
        // should have stopped (TCP retransmits, so a slow echo is latency, not loss).
        if (turn % kPollsPerCheck != 0)
            continue;
        if (should_abort())
            return false;
        const Nanos now = now_ns();
        const bool give_up =
            stream ? now - timeout >= send_until() : sent == size && now - m_book.oldest_sent() >= timeout;
        if (give_up) {
            m_book.expire(now, true);
            return sent == size;
        }
    }
}

void SpinPing::open_loop() {
    LiveParams& p = m_ctx.params;
    Pacer pacer;
    auto [gen, rate, payload] = start_pacing(p, pacer, m_ctx.config.burst);
    const int fd = m_fd.get();
    const Nanos timeout = m_ctx.config.timeout;

    std::uint64_t seq = 0;
    bool sending = true;
    std::size_t tx_size = 0; // the message being written (a stream write may take several turns)
    std::size_t tx_done = 0;
    // A stream's batch being written (m_stream_batching): what is left of its buffers.
    std::array<iovec, 2 * DatagramBatch::kMax> iov_buffer{};
    iovec* iov_at = iov_buffer.data();
    std::size_t iov_left = 0;
    // The last receive took a full batch: echoes are waiting, so this turn only reads. Sending is
    // cheap (datagram_batch.h: one GSO send per batch) and reading is not: a sender that went on
    // would overflow its own socket with echoes and count the overflow as the network's loss. This
    // way an overloaded instrument falls behind its schedule, which its send lag reports (saturated).
    bool echoes_waiting = false;
    // The pong's batched echoes (one GSO send each) read as whole buffers: at 300k msg/s cutting
    // them apart on the way in was a fifth of this thread's CPU. Not with RX stamps (one per buffer).
    if (m_batching && !m_open_split.on())
        m_receive.enable_gro(fd);
    while (!should_abort()) {
        const Nanos now = now_ns();
        if (m_batching && sending && !echoes_waiting) { // every message due by now in one send
            follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
            if (now >= send_until() && m_batch.pending() == 0) {
                sending = false;
            } else {
                const DatagramBatch::Result b =
                    m_batch.send_due(fd, m_book, pacer, seq, payload, send_until());
                if (b.error) {
                    fail(describe_errno(b.error));
                    break;
                }
            }
        } else if (m_stream_batching && sending && iov_left == 0) { // every message due: one write
            follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
            if (now >= send_until()) {
                sending = false;
            } else {
                bool ring_full = false; // a full ring (the echoes lag far behind): try next turn
                if (m_batch.book_due(m_book, pacer, seq, payload, send_until(), ring_full) > 0) {
                    const std::span<const iovec> booked = m_batch.booked();
                    std::copy(booked.begin(), booked.end(), iov_buffer.begin());
                    iov_at = iov_buffer.data();
                    iov_left = booked.size();
                    m_batch.clear();
                }
            }
        } else if (sending && tx_size == 0 && !m_batching && !m_stream_batching) {
            follow_live_params(p, gen, rate, payload, pacer, m_ctx.config.burst);
            if (now >= send_until()) {
                sending = false;
            } else if (pacer.back_to_back() || now >= pacer.due()) {
                m_book.stamp(m_tx.data(), seq, payload);
                // Booked before the write, whose echo may be read later in this very turn. A full
                // ring (the echoes lag far behind) just means: try again next turn.
                if (m_book.sent(seq, pacer.back_to_back() ? now : pacer.due(), now,
                                static_cast<std::uint32_t>(payload))) {
                    tx_size = payload;
                    tx_done = 0;
                }
            }
        }
        if (iov_left > 0) {
            const ssize_t r = send_iov(fd, iov_at, iov_left, kSendFlags);
            if (r >= 0) {
                advance_iov(iov_at, iov_left, static_cast<std::size_t>(r));
            } else if (!would_block(errno)) {
                fail(describe_errno(errno));
                break;
            }
        }
        if (tx_size > 0) {
            const ssize_t r = ::send(fd, m_tx.data() + tx_done, tx_size - tx_done, kSendFlags);
            if (r >= 0) {
                tx_done += static_cast<std::size_t>(r);
                if (tx_done == tx_size) {
                    tx_size = 0;
                    ++seq;
                    pacer.advance();
                }
            } else if (!would_block(errno)) {
                fail(describe_errno(errno));
                break;
            }
        }

        if (m_batching) { // every echo waiting in one recvmmsg, then the next send turn
            const DatagramReceive::Result b = m_receive.receive(fd, m_book, false, &m_open_split);
            if (b.error) {
                fail(describe_errno(b.error));
                break;
            }
            echoes_waiting = b.full;
            if (b.received == 0)
                m_book.expire(now, !sending && now - timeout >= send_until()); // idle turn: the loss scan
            if (!sending && m_book.outstanding() == 0)
                break;
            continue;
        }
        // A stream: whatever has arrived, cut into echoes (m_echoes). A datagram: one echo.
        const ssize_t r = ::recv(fd, m_rx.data(), m_rx.size(), MSG_DONTWAIT);
        if (r > 0 || (r == 0 && !m_stream)) {
            const Nanos t_recv = now_ns();
            const auto n = static_cast<std::size_t>(r);
            if (!m_echoes) {
                m_book.echo(m_rx.data(), n, t_recv);
            } else if (!m_echoes->feed(m_rx.data(), n, t_recv)) {
                fail(m_echoes->error());
                break;
            }
            m_book.expire(t_recv);
        } else if (r == 0) {
            fail(peer_closed());
            break;
        } else if (!would_block(errno)) {
            fail(describe_errno(errno));
            break;
        } else {
            // Idle turn: the loss scan. Everything still out is given up a timeout after sending ended,
            // also a message still being written to a peer that stopped reading (it was booked, so
            // it counts as lost).
            const bool overdue = now - timeout >= send_until();
            if (overdue && (tx_size > 0 || iov_left > 0)) {
                tx_size = iov_left = 0;
                sending = false;
            }
            m_book.expire(now, !sending && overdue);
        }
        if (!sending && tx_size == 0 && iov_left == 0 && m_book.outstanding() == 0)
            break;
    }
}

} // namespace le
