#pragma once

// UDP generic segmentation offload (GSO) for a batch of equal datagrams: one sendmsg(2) carrying a
// UDP_SEGMENT control message, which the kernel cuts into datagrams of that size (the last may be
// shorter). The stack is walked once for the batch instead of once per datagram, and on the wire
// nothing changes. The ping's open-loop batches (DatagramBatch) and the pong's echo (DatagramEcho)
// use it. Its receiving half, UDP GRO (UDP_GRO on the socket): datagrams of one sender that the
// kernel kept together (a GSO send over loopback, or a NIC's GRO) are read as one buffer of
// equal segments, with a UDP_GRO control message giving their size; without it, the receiving
// socket cuts them apart one by one (on loopback, on the sender's CPU).
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <netinet/udp.h>
#include <sys/socket.h>

namespace le {

// The largest datagram sent as a segment: one Ethernet frame's UDP payload. A segment must fit the
// route's MTU, so larger ones go one by one.
inline constexpr std::size_t kMaxUdpSegment = 1472;
// Segments per send every kernel takes (UDP_MAX_SEGMENTS: 64 in older kernels, 128 in newer ones).
inline constexpr int kMaxUdpSegments = 64;

// The UDP_SEGMENT control message for one send; attach() points `msg` at it.
class UdpSegmentControl {
public:
    void attach(msghdr& msg, std::uint16_t segment_size) noexcept {
        m_buf.fill(0);
        msg.msg_control = m_buf.data();
        msg.msg_controllen = m_buf.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(segment_size));
        std::memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
    }

private:
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> m_buf{};
};

// Receives the UDP_GRO control message of one datagram read (msg_control of a recvmsg/recvmmsg).
class UdpGroControl {
public:
    void attach(msghdr& msg) noexcept {
        msg.msg_control = m_buf.data();
        msg.msg_controllen = m_buf.size();
    }

private:
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> m_buf{};
};

// The segment size of a datagram just read into `msg` (with a UdpGroControl attached) when it holds
// several datagrams the kernel kept together (`length` over one segment), else `length`: it is one.
inline std::size_t udp_gro_segment(const msghdr& msg, std::size_t length) noexcept {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c)))
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size = 0;
            std::memcpy(&size, CMSG_DATA(c), sizeof(size));
            return size > 0 && static_cast<std::size_t>(size) < length ? static_cast<std::size_t>(size)
                                                                       : length;
        }
    return length;
}

// Turns UDP GRO on or off for the datagram socket `fd`. Returns whether the call took (an old
// kernel refuses it: datagrams then come one by one, as they did). The setting applies to what is
// queued from then on: datagrams queued before keep the form they arrived in.
inline bool set_udp_gro(int fd, bool on) noexcept {
    const int value = on ? 1 : 0;
    return ::setsockopt(fd, SOL_UDP, UDP_GRO, &value, sizeof(value)) == 0;
}

// Whether a failed GSO send's errno says this kernel, route or device takes no UDP GSO (the send
// left nothing: the same datagrams may go one by one), rather than something about the peer.
inline bool udp_segment_refused(int err) noexcept {
    return err == EINVAL || err == EMSGSIZE || err == ENOPROTOOPT || err == EOPNOTSUPP || err == EIO;
}

} // namespace le
