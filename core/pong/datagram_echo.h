#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sys/socket.h>

namespace le {

// A UDP pong's direct echo in batches: every datagram waiting on the socket is read with one
// recvmmsg(2) (up to kMax) and each goes back to its own sender, unchanged, with one sendmmsg(2).
// At high rates the echo then costs two system calls per batch instead of two per datagram, so the
// peer is not what caps an open-loop run. A pong stays a plain echo: same bytes, same sender, in
// arrival order. Owned by one thread (or strand); allocation-free once constructed. Each slot holds
// the largest datagram; its pages are touched only as far as datagrams reach, so small ones keep the
// resident memory small.
class DatagramEcho {
public:
    static constexpr int kMax = 32;

    DatagramEcho();

    struct Result {
        int echoed = 0;          // datagrams read (each sent back, or lost to a failed send)
        std::uint64_t bytes = 0; // bytes sent back
    };

    // Reads what waits on the (unconnected) datagram socket `fd` and echoes it. `wait`: blocks until
    // one arrives or the socket's receive timeout expires; otherwise returns at once. A receive error
    // (e.g. an ICMP error left by an earlier client, which the call clears) reads nothing: the caller
    // just calls again. A send that fails drops that echo (UDP; the ping counts it lost).
    Result echo(int fd, bool wait) noexcept;

private:
    std::unique_ptr<std::byte[]> m_buffers; // kMax slots of kSlot bytes
    std::array<sockaddr_storage, kMax> m_from{};
    std::array<iovec, kMax> m_iov{};
    std::array<mmsghdr, kMax> m_msgs{};
    int m_used = 0; // slots the last receive filled (their lengths to restore)
};

} // namespace le
