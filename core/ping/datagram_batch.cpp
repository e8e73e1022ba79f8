#include "datagram_batch.h"

#include "blocking_io.h"
#include "udp_segment.h"
#include "wire.h"

#include <cerrno>

namespace le {

DatagramBatch::DatagramBatch(const std::byte* pattern, bool segment) noexcept
    : m_pattern(pattern)
    , m_segment(segment) {
    static_assert(sizeof(m_headers[0]) == kSequenceBytes);
    for (int i = 0; i < kMax; ++i) {
        m_iov[2 * i].iov_base = m_headers[i].data();
        m_iov[2 * i].iov_len = kSequenceBytes;
        m_msgs[i].msg_hdr.msg_iov = &m_iov[2 * i];
        m_msgs[i].msg_hdr.msg_iovlen = 2;
    }
}

int DatagramBatch::send_segmented(int fd) noexcept {
    const int n = m_count - m_first;
    msghdr msg{};
    msg.msg_iov = &m_iov[2 * static_cast<std::size_t>(m_first)];
    msg.msg_iovlen = 2 * static_cast<std::size_t>(n);
    UdpSegmentControl control;
    control.attach(msg, static_cast<std::uint16_t>(m_size));
    for (;;) {
        if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
            m_first = m_count; // all or nothing
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (would_block(errno))
            return 0; // pending as a whole
        // No UDP GSO in this kernel, for this route or device: refused before anything left, so
        // the same messages go by sendmmsg.
        if (udp_segment_refused(errno)) {
            m_segment = false;
            return -1;
        }
        return errno;
    }
}

int DatagramBatch::flush(int fd) noexcept {
    // Several messages, each a whole segment of the maximum GSO send (64 segments, 64 KiB).
    const int n = m_count - m_first;
    if (m_segment && n > 1 && m_size <= kMaxUdpSegment && n <= kMaxUdpSegments &&
        static_cast<std::size_t>(n) * m_size <= kMaxUdpPayload) {
        if (const int r = send_segmented(fd); r >= 0)
            return r; // sent, pending as a whole, or the errno of a failure
    }
    while (m_first < m_count) {
        // MSG_DONTWAIT also on a blocking socket: a full send buffer leaves the rest pending rather
        // than stalling the thread that may also have to read the echoes.
        const int r = ::sendmmsg(fd, &m_msgs[m_first], static_cast<unsigned>(m_count - m_first),
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return would_block(errno) ? 0 : errno;
        }
        m_first += r;
    }
    m_first = m_count = 0;
    return 0;
}

DatagramBatch::Result DatagramBatch::send_due(int fd, EchoBook& book, Pacer& pacer, std::uint64_t& seq,
                                              std::size_t payload, Nanos send_until) noexcept {
    Result result;
    if (m_first < m_count) {
        result.error = flush(fd);
        result.pending = m_first < m_count;
        if (result.error || result.pending)
            return result;
    }
    book_due(book, pacer, seq, payload, send_until, result.ring_full);
    result.more_due = m_count == kMax && (pacer.back_to_back() || pacer.due() <= now_ns());
    result.error = flush(fd);
    result.pending = m_first < m_count;
    return result;
}

int DatagramBatch::book_due(EchoBook& book, Pacer& pacer, std::uint64_t& seq, std::size_t payload,
                            Nanos send_until, bool& ring_full) noexcept {
    const Nanos now = now_ns();
    const auto size = static_cast<std::uint32_t>(payload);
    const int before = m_count;
    m_size = size;
    while (m_count < kMax && now < send_until && (pacer.back_to_back() || pacer.due() <= now)) {
        // Booked before the send: the echo may be back before the send call returns.
        if (!book.sent(seq, pacer.back_to_back() ? now : pacer.due(), now, size)) {
            ring_full = true;
            break;
        }
        write_sequence(m_headers[m_count].data(), seq);
        m_iov[2 * m_count + 1].iov_base = const_cast<std::byte*>(m_pattern + kSequenceBytes);
        m_iov[2 * m_count + 1].iov_len = payload - kSequenceBytes;
        ++m_count;
        ++seq;
        pacer.advance();
    }
    return m_count - before;
}

} // namespace le
