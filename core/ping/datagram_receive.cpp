#include "datagram_receive.h"

#include "blocking_io.h"
#include "clock.h"
#include "endpoint.h"
#include "wire.h"

#include <algorithm>
#include <cerrno>

namespace le {
namespace {

// One recvmmsg(2) into `msgs`: how many it read, or -1 (with the errno in `result`, unless it was
// would-block).
int receive_batch(int fd, mmsghdr* msgs, int count, int flags, DatagramReceive::Result& result) noexcept {
    int n;
    do
        n = ::recvmmsg(fd, msgs, static_cast<unsigned>(count), flags, nullptr);
    while (n < 0 && errno == EINTR);
    if (n < 0 && !would_block(errno))
        result.error = errno;
    return n;
}

} // namespace

DatagramReceive::DatagramReceive() noexcept {
    static_assert(kKeep >= kSequenceBytes);
    for (int i = 0; i < kMax; ++i) {
        m_iov[i].iov_base = m_heads[i].data();
        m_iov[i].iov_len = kKeep;
        m_msgs[i].msg_hdr.msg_iov = &m_iov[i];
        m_msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

bool DatagramReceive::enable_gro(int fd) {
    constexpr std::size_t kSlot = kMaxUdpPayload + 1; // one more: a too-long echo is not cut silently
    if (!m_gro_buffers)
        m_gro_buffers = std::make_unique_for_overwrite<std::byte[]>(kSlot * kGroSlots);
    for (int i = 0; i < kGroSlots; ++i) {
        m_gro_iov[i].iov_base = m_gro_buffers.get() + i * kSlot;
        m_gro_iov[i].iov_len = kSlot;
        m_gro_msgs[i].msg_hdr.msg_iov = &m_gro_iov[i];
        m_gro_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (set_udp_gro(fd, true))
        return true;
    m_gro_buffers.reset();
    return false;
}

DatagramReceive::Result DatagramReceive::receive_coalesced(int fd, EchoBook& book, int flags) noexcept {
    Result result;
    for (int i = 0; i < kGroSlots; ++i) // recvmmsg writes back the control lengths
        m_gro_control[i].attach(m_gro_msgs[i].msg_hdr);
    const int n = receive_batch(fd, m_gro_msgs.data(), kGroSlots, flags, result);
    if (n < 0)
        return result;
    const Nanos t_recv = now_ns();
    for (int i = 0; i < n; ++i) {
        const auto* data = static_cast<const std::byte*>(m_gro_iov[i].iov_base);
        const std::size_t length = m_gro_msgs[i].msg_len;
        const std::size_t segment = udp_gro_segment(m_gro_msgs[i].msg_hdr, length);
        if (segment == 0) { // an empty datagram: a bad echo (the book says so)
            book.echo(data, 0, t_recv);
            ++result.received;
            continue;
        }
        for (std::size_t at = 0; at < length; at += segment, ++result.received)
            book.echo(data + at, std::min(segment, length - at), t_recv);
    }
    if (n > 0)
        book.expire(t_recv);
    result.full = n == kGroSlots;
    return result;
}

DatagramReceive::Result DatagramReceive::receive(int fd, EchoBook& book, bool wait,
                                                 OpenLoopSplit* split) noexcept {
    Result result;
    if (split && !split->on())
        split = nullptr;
    // MSG_WAITFORONE: block for the first, then take only what is there already.
    if (m_gro_buffers)
        return receive_coalesced(fd, book, wait ? MSG_WAITFORONE : MSG_DONTWAIT);
    for (int i = 0; split && i < kMax; ++i) { // recvmmsg writes back the control lengths
        m_msgs[i].msg_hdr.msg_control = m_control[i].buf;
        m_msgs[i].msg_hdr.msg_controllen = sizeof m_control[i].buf;
    }
    // MSG_TRUNC: msg_len is the datagram's length even where the buffer kept only its head.
    // MSG_WAITFORONE: block for the first, then take only what is there already.
    const int flags = MSG_TRUNC | (wait ? MSG_WAITFORONE : MSG_DONTWAIT);
    const int n = receive_batch(fd, m_msgs.data(), kMax, flags, result);
    if (n < 0)
        return result;
    const Nanos t_recv = now_ns();
    if (split) {
        split->begin_batch();
        for (int i = 0; i < n; ++i) {
            const std::uint64_t seq =
                m_msgs[i].msg_len >= kSequenceBytes ? read_sequence(m_heads[i].data()) : 0;
            const SplitSample sample =
                split->finish(seq, book.sent_at(seq), rx_stamp_of(m_msgs[i].msg_hdr), t_recv);
            book.echo(m_heads[i].data(), m_msgs[i].msg_len, t_recv, sample);
        }
    } else {
        for (int i = 0; i < n; ++i)
            book.echo(m_heads[i].data(), m_msgs[i].msg_len, t_recv);
    }
    if (n > 0)
        book.expire(t_recv);
    result.received = n;
    result.full = n == kMax;
    return result;
}

} // namespace le
