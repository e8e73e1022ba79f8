#include "datagram_echo.h"

#include "endpoint.h"

#include <algorithm>
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

ssize_t recv_datagrams(int fd, std::byte* buffer, std::size_t size, sockaddr_storage& from,
                       socklen_t& from_len, std::size_t& segment) noexcept {
    iovec iov{buffer, size};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    UdpGroControl control;
    control.attach(msg);
    // The plain system call, as the spin pong's other polls (poll_io.h).
    const auto n = static_cast<ssize_t>(::syscall(SYS_recvmsg, long{fd}, &msg, long{MSG_DONTWAIT}));
    if (n >= 0) {
        from_len = msg.msg_namelen;
        segment = udp_gro_segment(msg, static_cast<std::size_t>(n));
    }
    return n;
}

std::uint64_t echo_segments(int fd, const std::byte* data, std::size_t length, std::size_t segment,
                            const sockaddr* to, socklen_t to_len, bool& gso) noexcept {
    std::uint64_t bytes = 0;
    // At most kMaxUdpSegments per GSO send (GRO may keep more together than an older kernel sends).
    const std::size_t chunk = segment * static_cast<std::size_t>(kMaxUdpSegments);
    for (std::size_t at = 0; at < length;) {
        const std::size_t part = std::min(chunk, length - at);
        if (gso && part > segment && segment <= kMaxUdpSegment) {
            iovec iov{const_cast<std::byte*>(data + at), part};
            msghdr msg{};
            msg.msg_name = const_cast<sockaddr*>(to);
            msg.msg_namelen = to_len;
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            UdpSegmentControl control;
            control.attach(msg, static_cast<std::uint16_t>(segment));
            ssize_t r;
            do
                r = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
            while (r < 0 && errno == EINTR);
            if (r >= 0) {
                bytes += static_cast<std::uint64_t>(r);
                at += part;
                continue;
            }
            if (udp_segment_refused(errno))
                gso = false; // no UDP GSO here: one by one from now on
        }
        // One by one: each echo goes or is lost on its own.
        for (const std::size_t end = at + part; at < end;) {
            const std::size_t size = std::min(segment, end - at);
            if (::sendto(fd, data + at, size, MSG_NOSIGNAL, to, to_len) == static_cast<ssize_t>(size))
                bytes += size;
            at += size;
        }
    }
    return bytes;
}

DatagramEcho::DatagramEcho()
    : m_buffers(std::make_unique_for_overwrite<std::byte[]>(kSlot * kMax)) {
    for (int i = 0; i < kMax; ++i) {
        m_iov[i].iov_base = m_buffers.get() + i * kSlot;
        m_iov[i].iov_len = kSlot;
        m_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        m_msgs[i].msg_hdr.msg_iov = &m_iov[i];
        m_msgs[i].msg_hdr.msg_iovlen = 1;
        m_msgs[i].msg_hdr.msg_name = &m_from[i];
        m_gro[i].attach(m_msgs[i].msg_hdr);
    }
}

DatagramEcho::Result DatagramEcho::echo(int fd, bool wait) noexcept {
    for (int i = 0; i < m_used; ++i) { // the last call wrote lengths into these: back to full slots
        m_iov[i].iov_len = kSlot;
        m_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        m_gro[i].attach(m_msgs[i].msg_hdr);
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
    result.reads = n;
    for (int i = 0; i < n; ++i) {
        m_iov[i].iov_len = m_msgs[i].msg_len;
        m_segment_of[i] = udp_gro_segment(m_msgs[i].msg_hdr, m_msgs[i].msg_len);
    }
    // Runs of one sender and one size; a run of several as one GSO send.
    int first = 0;
    while (first < n) {
        if (const std::size_t segment = m_segment_of[first]; segment < m_iov[first].iov_len) {
            // Several datagrams kept together: the same datagrams go back.
            const msghdr& h = m_msgs[first].msg_hdr;
            result.echoed += static_cast<int>((m_iov[first].iov_len + segment - 1) / segment);
            result.bytes +=
                echo_segments(fd, static_cast<const std::byte*>(m_iov[first].iov_base), m_iov[first].iov_len,
                              segment, static_cast<const sockaddr*>(h.msg_name), h.msg_namelen, m_segment);
            ++first;
            continue;
        }
        int end = first + 1;
        const std::size_t size = m_iov[first].iov_len;
        while (end < n && m_iov[end].iov_len == size && m_segment_of[end] == size &&
               same_sender(m_msgs[end].msg_hdr, m_msgs[first].msg_hdr))
            ++end;
        const int count = end - first;
        result.echoed += count;
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
