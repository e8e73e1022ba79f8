#include "datagram_receive.h"

#include "blocking_io.h"
#include "clock.h"
#include "wire.h"

#include <cerrno>

namespace le {

DatagramReceive::DatagramReceive() noexcept {
    static_assert(kKeep >= kSequenceBytes);
    for (int i = 0; i < kMax; ++i) {
        m_iov[i].iov_base = m_heads[i].data();
        m_iov[i].iov_len = kKeep;
        m_msgs[i].msg_hdr.msg_iov = &m_iov[i];
        m_msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

DatagramReceive::Result DatagramReceive::receive(int fd, EchoBook& book, bool wait,
                                                 OpenLoopSplit* split) noexcept {
    Result result;
    if (split && !split->on())
        split = nullptr;
    for (int i = 0; split && i < kMax; ++i) { // recvmmsg writes back the control lengths
        m_msgs[i].msg_hdr.msg_control = m_control[i].buf;
        m_msgs[i].msg_hdr.msg_controllen = sizeof m_control[i].buf;
    }
    // MSG_TRUNC: msg_len is the datagram's length even where the buffer kept only its head.
    // MSG_WAITFORONE: block for the first, then take only what is there already.
    const int flags = MSG_TRUNC | (wait ? MSG_WAITFORONE : MSG_DONTWAIT);
    int n;
    do
        n = ::recvmmsg(fd, m_msgs.data(), kMax, flags, nullptr);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (!would_block(errno))
            result.error = errno;
        return result;
    }
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
    return result;
}

} // namespace le
