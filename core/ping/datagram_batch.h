#pragma once

#include "echo_book.h"
#include "pacer.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>

namespace le {

// Open loop over datagrams: every message due when the engine wakes goes out at once, up to kMax
// of them in one sendmmsg(2), so a sender that fell behind its schedule catches up in a few system
// calls instead of one (and one event-loop turn) per message. Each message is its own 8-byte
// header (the sequence number) followed by the shared fill pattern, so nothing is copied; with
// --verify-payload, whose payload depends on the sequence number, engines send one by one instead.
// Owned by the sending thread (or strand); allocation-free once constructed.
class DatagramBatch {
public:
    static constexpr int kMax = 32;

    // `pattern`: at least kMaxUdpPayload bytes of fill_pattern(), outliving the batch. `segment`:
    // a batch of several messages goes out as one UDP GSO send (UDP_SEGMENT), which the kernel cuts
    // into the same datagrams: the stack is walked once per batch, not once per message (on a
    // 2-vCPU VM the sends were two thirds of an open loop's CPU at 300k msg/s, nearly all of it in
    // the kernel). Off with kernel timestamps (a GSO send gets one TX stamp, not one per message);
    // where the kernel or the route refuses it, the batch falls back to sendmmsg for good.
    explicit DatagramBatch(const std::byte* pattern, bool segment = false) noexcept;

    struct Result {
        int error = 0;          // errno of a send that failed (not would-block): the run ends
        bool pending = false;   // the socket took only part (would block): call again shortly
        bool more_due = false;  // kMax went out and more are due already: call again after a look at receives
        bool ring_full = false; // the echo book's ring is full (echoes lag far behind): call again shortly
    };

    // First sends what a previous call left pending; then books every message due by now with `book`
    // (its intended time its due time, or now when back-to-back), at most kMax and none at or after
    // `send_until`, advancing `pacer` and `seq` for each, and sends them with one non-blocking
    // sendmmsg on the connected datagram socket `fd`.
    Result send_due(int fd, EchoBook& book, Pacer& pacer, std::uint64_t& seq, std::size_t payload,
                    Nanos send_until) noexcept;

    // Messages booked and not yet sent.
    int pending() const noexcept { return m_count - m_first; }

    // Streams (open loop): books every message due by now as send_due does, without sending, after
    // any booked before (call clear() once those are written). Their bytes, in order, are booked():
    // two buffers per message (its sequence number, then the shared fill pattern), for one gathered
    // write. Returns how many it booked; `ring_full` as in Result.
    int book_due(EchoBook& book, Pacer& pacer, std::uint64_t& seq, std::size_t payload, Nanos send_until,
                 bool& ring_full) noexcept;
    std::span<const iovec> booked() const noexcept {
        return {m_iov.data(), 2 * static_cast<std::size_t>(m_count)};
    }
    void clear() noexcept { m_first = m_count = 0; }

private:
    int flush(int fd) noexcept; // 0, or the errno of a failure other than would-block
    // The messages not yet sent in one GSO send: 0 sent or would block (pending stays whole), -1
    // refused (GSO is off from now on and they go by sendmmsg), else the errno of a failure.
    int send_segmented(int fd) noexcept;

    const std::byte* m_pattern;
    std::array<std::array<std::byte, 8>, kMax> m_headers{};
    std::array<iovec, 2 * kMax> m_iov{};
    std::array<mmsghdr, kMax> m_msgs{};
    int m_first = 0;          // the first message not yet sent
    int m_count = 0;          // messages in the batch
    std::uint32_t m_size = 0; // their size (one payload per batch: send_due books a fresh one)
    bool m_segment;
};

} // namespace le
