#pragma once

#include "echo_book.h"
#include "kernel_timestamps.h"
#include "open_loop_split.h"
#include "udp_segment.h"

#include <array>
#include <cstddef>
#include <memory>
#include <sys/socket.h>

namespace le {

// Open loop over datagrams, the receiving half of DatagramBatch: every echo waiting on the socket
// is read with one recvmmsg(2) (up to kMax), so a receiver that fell behind catches up in a few
// system calls instead of one (and one event-loop turn) per echo; otherwise the echoes of a sender
// that batches queue up in the socket and the queue, not the network, becomes the latency.
// Only each echo's sequence number is kept (MSG_TRUNC reports the datagram's real length, which the
// book checks), so a batch holds kMax small buffers, not kMax x 64 KiB; payload verification needs
// the whole payload, so engines read one by one then. All echoes of one batch get the time the
// call returned: they were all in the engine's hands then, and it is when the last of them arrived.
// With UDP GRO (enable_gro()), the echoes a peer sent back as one GSO send come as one buffer of
// equal segments instead of being cut apart on their way in: a read then takes whole buffers
// (kGroSlots of the largest datagram) and cuts them into their echoes.
// Owned by the receiving thread (or strand); allocation-free once constructed (and once GRO is on).
class DatagramReceive {
public:
    static constexpr int kMax = 64;

    DatagramReceive() noexcept;

    // Turns UDP GRO on for the connected datagram socket `fd`, which only this object reads from
    // then on, for good. Not with an OpenLoopSplit (a buffer of several echoes has one RX stamp).
    // Returns whether the kernel took it; if not, nothing changed.
    bool enable_gro(int fd);
    // Whether enable_gro() took: every read of the socket must then be this object's.
    bool gro() const noexcept { return m_gro_buffers != nullptr; }

    struct Result {
        int received = 0;  // echoes read (each given to the book)
        bool full = false; // the call took all it could: more may wait
        int error = 0;     // errno of a failure other than would-block (EAGAIN also when a receive
                           // timeout set on the socket expired with `wait`)
    };

    // Reads what waits on the connected datagram socket `fd` (with `wait`, blocks until at least one
    // arrives, or the socket's receive timeout), gives each echo to `book` and expires the book at
    // the receive time. Returns how many were read; 0 with error 0 when nothing waits.
    // `split` (on): each echo's RX stamp is read with it, and its split goes to the book with its RTT.
    Result receive(int fd, EchoBook& book, bool wait = false, OpenLoopSplit* split = nullptr) noexcept;

private:
    Result receive_coalesced(int fd, EchoBook& book, int flags) noexcept;

    static constexpr std::size_t kKeep = 16; // bytes kept of each echo: its sequence number
    std::array<std::array<std::byte, kKeep>, kMax> m_heads{};
    std::array<StampControl, kMax> m_control; // RX stamps, with a split
    std::array<iovec, kMax> m_iov{};
    std::array<mmsghdr, kMax> m_msgs{};
    // UDP GRO: whole buffers, as many as without it (a peer that sends each echo on its own is read
    // as many at a time): 4 MiB of address space, whose pages are touched only as far as echoes
    // reach (64 B echoes one page per slot). A smaller buffer would cut a batch short, silently.
    static constexpr int kGroSlots = kMax;
    std::unique_ptr<std::byte[]> m_gro_buffers;
    std::array<UdpGroControl, kGroSlots> m_gro_control{};
    std::array<iovec, kGroSlots> m_gro_iov{};
    std::array<mmsghdr, kGroSlots> m_gro_msgs{};
};

} // namespace le
