#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "udp_segment.h"
#include <sys/socket.h>

namespace le {

// A UDP pong's direct echo in batches: every datagram waiting on the socket is read with one
// recvmmsg(2) (up to kMax) and each goes back to its own sender, unchanged, with one sendmmsg(2).
// At high rates the echo then costs two system calls per batch instead of two per datagram, so the
// peer is not what caps an open-loop run; consecutive datagrams of one sender and one size go back
// as one GSO send, which walks the kernel's stack once for them all (at 300k msg/s on a 2-vCPU VM
// the pong dropped 12 % at its socket without it). A pong stays a plain echo: same bytes, same
// sender, in arrival order, each its own datagram. Owned by one thread (or strand); allocation-free
// once constructed. Each slot holds the largest datagram; its pages are touched only as far as
// datagrams reach, so small ones keep the resident memory small. With UDP GRO on the socket (the
// caller's choice, set_udp_gro()), a slot may hold several datagrams of one sender kept together
// by the kernel: they go back as one GSO send of the same segments, so the same datagrams.
// Reads one datagram from the datagram socket `fd` into `buffer` (at least kMaxUdpPayload + 1
// bytes), as recvfrom(2) with MSG_DONTWAIT; with UDP GRO on, it may be several of one sender kept
// together: `segment` is then their size (the last may be shorter), else the length read.
ssize_t recv_datagrams(int fd, std::byte* buffer, std::size_t size, sockaddr_storage& from,
                       socklen_t& from_len, std::size_t& segment) noexcept;

// Sends `length` bytes back to `to` as datagrams of `segment` bytes (the last may be shorter),
// the same datagrams a sender's GSO send made: as GSO sends of up to kMaxUdpSegments segments
// while `gso` holds, one by one where the kernel refuses it (`gso` then becomes false for good).
// Returns the bytes that went; an echo that fails to go is lost (UDP).
std::uint64_t echo_segments(int fd, const std::byte* data, std::size_t length, std::size_t segment,
                            const sockaddr* to, socklen_t to_len, bool& gso) noexcept;

class DatagramEcho {
public:
    static constexpr int kMax = 32;

    DatagramEcho();

    struct Result {
        int reads = 0;           // slots filled (kMax: more may wait)
        int echoed = 0;          // datagrams read (each sent back, or lost to a failed send)
        std::uint64_t bytes = 0; // bytes sent back
    };

    // Reads what waits on the (unconnected) datagram socket `fd` and echoes it. `wait`: blocks until
    // one arrives or the socket's receive timeout expires; otherwise returns at once. A receive error
    // (e.g. an ICMP error left by an earlier client, which the call clears) reads nothing: the caller
    // just calls again. A send that fails drops that echo (UDP; the ping counts it lost).
    Result echo(int fd, bool wait) noexcept;

private:
    // Echoes slots [first, first + count), all from one sender and of one size, with one UDP GSO
    // send (UDP_SEGMENT): the kernel cuts it back into the same datagrams, and the stack is walked
    // once for them all. Returns the bytes sent, or -1 when the send failed: the caller then sends
    // them one by one (and when the kernel refused GSO itself, it is off for good).
    long echo_segmented(int fd, int first, int count) noexcept;
    // Echoes slots [first, end) with sendmmsg; adds to `result`.
    void echo_each(int fd, int first, int end, Result& result) noexcept;

    std::unique_ptr<std::byte[]> m_buffers; // kMax slots of kSlot bytes
    bool m_segment = true;
    std::array<sockaddr_storage, kMax> m_from{};
    std::array<iovec, kMax> m_iov{};
    std::array<mmsghdr, kMax> m_msgs{};
    std::array<UdpGroControl, kMax> m_gro{}; // each slot's segment size, when UDP GRO is on
    std::array<std::size_t, kMax> m_segment_of{};
    int m_used = 0; // slots the last receive filled (their lengths to restore)
};

} // namespace le
