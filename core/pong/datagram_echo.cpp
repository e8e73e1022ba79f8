#include "datagram_echo.h"

#include "endpoint.h"
#include "udp_segment.h"

#include <cerrno>
#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

namespace le {
namespace {

constexpr std::size_t kSlot = kMaxUdpPayload + 1; // one more: a too-long datagram is not cut silently

bool same_sender(const msghdr& a, const msghdr& b) {
    return a.msg_namelen == b.msg_namelen && std::memcmp(a.msg_name, b.msg_name, a.msg_namelen) == 0;
}

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
    // Runs of one sender and one size; a run of several as one GSO send.
    int first = 0;
    while (first < n) {
        int end = first + 1;
        const std::size_t size = m_iov[first].iov_len;
        while (end < n && m_iov[end].iov_len == size &&
               same_sender(m_msgs[end].msg_hdr, m_msgs[first].msg_hdr))
            ++end;
        const int count = end - first;
        if (m_segment && count > 1 && size > 0 && size <= kMaxUdpSegment && count <= kMaxUdpSegments &&
            size * static_cast<std::size_t>(count) <= kMaxUdpPayload) {
            const long sent = echo_segmented(fd, first, count);
            if (sent >= 0) {
                result.bytes += static_cast<std::uint64_t>(sent);
                first = end;
                continue;
            }
        }
        echo_each(fd, first, end, result);
        first = end;
    }
    return result;
}

long DatagramEcho::echo_segmented(int fd, int first, int count) noexcept {
    msghdr msg{};
    msg.msg_name = m_msgs[first].msg_hdr.msg_name;
    msg.msg_namelen = m_msgs[first].msg_hdr.msg_namelen;
    msg.msg_iov = &m_iov[first];
    msg.msg_iovlen = static_cast<std::size_t>(count);
    UdpSegmentControl control;
    control.attach(msg, static_cast<std::uint16_t>(m_iov[first].iov_len));
    for (;;) {
        const ssize_t r = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (r >= 0)
            return static_cast<long>(r);
        if (errno == EINTR)
            continue;
        if (udp_segment_refused(errno))
            m_segment = false; // no UDP GSO here: sent one by one from now on
        // Otherwise (its sender is gone, a full buffer) the run is tried one by one, as without
        // GSO: each echo then goes or is lost on its own.
        return -1;
    }
}

void DatagramEcho::echo_each(int fd, int first, int end, Result& result) noexcept {
    int done = first;
    while (done < end) {
        const auto r = static_cast<int>(
            ::syscall(SYS_sendmmsg, long{fd}, &m_msgs[done], long{end - done}, long{MSG_NOSIGNAL}));
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
}

} // namespace le
