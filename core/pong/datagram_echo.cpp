#include "datagram_echo.h"

#include "endpoint.h"

#include <cerrno>
#include <sys/syscall.h>
#include <unistd.h>

namespace le {
namespace {

constexpr std::size_t kSlot = kMaxUdpPayload + 1; // one more: a too-long datagram is not cut silently

} // namespace

DatagramEcho::DatagramEcho()
    : m_buffers(std::make_unique_for_overwrite<std::byte[]>(kSlot * kMax)) {
    for (int i = 0; i < kMax; ++i) {
        m_iov[i].iov_base = m_buffers.get() + i * kSlot;
        m_iov[i].iov_len = kSlot;
        m_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        m_msgs[i].msg_hdr.msg_iov = &m_iov[i];
        m_msgs[i].msg_hdr.msg_iovlen = 1;
        m_msgs[i].msg_hdr.msg_name = &m_from[i];
    }
}

DatagramEcho::Result DatagramEcho::echo(int fd, bool wait) noexcept {
    for (int i = 0; i < m_used; ++i) { // the last call wrote lengths into these: back to full slots
        m_iov[i].iov_len = kSlot;
        m_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    m_used = 0;
    // MSG_WAITFORONE: block for the first, then take only what is there already. The plain system
    // call: glibc's wrapper is a cancellation point, two atomic operations per call that a spin
    // pong's empty polls would pay (poll_io.h).
    const auto n = static_cast<int>(::syscall(SYS_recvmmsg, long{fd}, m_msgs.data(), long{kMax},
                                              long{wait ? MSG_WAITFORONE : MSG_DONTWAIT}, nullptr));
    Result result;
    if (n <= 0)
        return result;
    m_used = n;
    result.echoed = n;
    for (int i = 0; i < n; ++i)
        m_iov[i].iov_len = m_msgs[i].msg_len;
    int done = 0;
    while (done < n) {
        const auto r = static_cast<int>(
            ::syscall(SYS_sendmmsg, long{fd}, &m_msgs[done], long{n - done}, long{MSG_NOSIGNAL}));
        if (r > 0) {
            for (int i = done; i < done + r; ++i)
                result.bytes += m_msgs[i].msg_len;
            done += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            ++done; // that datagram's echo is lost (e.g. its sender is gone); the rest still go
        }
    }
    return result;
}

} // namespace le
