#include "uring_echo.h"

#include "endpoint.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace le {

UringStreamEcho::UringStreamEcho(UringLoop& loop, PongStats& stats, const Impairments& impairments, int fd,
                                 std::function<void(UringStreamEcho&)> on_closed,
                                 ResidenceRecorder* residence)
    : m_loop(loop)
    , m_stats(stats)
    , m_fd(fd)
    , m_on_closed(std::move(on_closed))
    , m_line(impairments, DelayLine::Kind::Stream)
    , m_meter(residence) {}

// Queues the next receive, unless one is in flight, the connection ends, or the direct path's
// echo is still out (never reading while it is: that is the back-pressure).
void UringStreamEcho::read() {
    if (m_reading || m_closing || m_eof || (m_writing && m_direct))
        return;
    std::span<std::byte> into = m_buffer;
    m_direct = m_line.bypass();
    if (!m_direct) {
        into = m_line.room();
        if (into.empty())
            return; // the queue is full: reading resumes when a send frees room
    }
    if (m_meter.on()) {
        m_iov = {into.data(), into.size()};
        m_msg = {};
        m_msg.msg_iov = &m_iov;
        m_msg.msg_iovlen = 1;
        m_msg.msg_control = m_control.buf;
        m_msg.msg_controllen = sizeof(m_control.buf);
        io_uring_prep_recvmsg(m_loop.sqe(*this), m_fd.get(), &m_msg, 0);
    } else {
        io_uring_prep_recv(m_loop.sqe(*this), m_fd.get(), into.data(), into.size(), 0);
    }
    m_reading = true;
    ++m_pending;
}

void UringStreamEcho::complete(int res, unsigned) {
    m_reading = false;
    --m_pending;
    if (m_closing) {
        finished();
        return;
    }
    if (res <= 0) {
        // The end of the stream on the delayed path: what is queued is still echoed first.
        if (res == 0 && !m_direct && (!m_line.empty() || m_writing)) {
            m_eof = true;
            return;
        }
        close();
        return;
    }
    const std::int64_t rx = m_meter.on() ? rx_stamp_of(m_msg) : 0;
    if (m_direct) {
        m_length = static_cast<std::size_t>(res);
        m_done = 0;
        m_writing = true;
        ++m_pending;
        const Nanos t_send = m_meter.send_begins();
        io_uring_prep_send(m_loop.sqe(m_send_op), m_fd.get(), m_buffer.data(), m_length, MSG_NOSIGNAL);
        m_meter.sent(rx, t_send);
        return;
    }
    m_line.commit(static_cast<std::size_t>(res), now_ns(), nullptr, 0, rx);
    release();
    read();
}

// Delayed path: sends the head chunk when due (one send at a time, so chunks leave in order), or
// arms the timeout for it. A stream's due times never go backwards, so one timeout at a time.
void UringStreamEcho::release() {
    if (m_writing || m_closing || m_line.empty())
        return;
    const Nanos due = m_line.next_due();
    if (due > now_ns()) {
        if (!m_timer_armed) {
            m_timer_armed = true;
            ++m_pending;
            m_loop.timeout_at(m_timer_op, m_ts, due);
        }
        return;
    }
    const DelayLine::Message m = m_line.front();
    m_writing = true;
    ++m_pending;
    const Nanos t_send = m_meter.send_begins();
    io_uring_prep_send(m_loop.sqe(m_send_op), m_fd.get(), m.data, m.size, MSG_NOSIGNAL);
    if (m.starts) // the read's residence, its hold included
        m_meter.sent(m.stamp, t_send);
}

void UringStreamEcho::sent(int res, unsigned) {
    m_writing = false;
    --m_pending;
    if (m_closing) {
        finished();
        return;
    }
    if (res < 0) {
        close();
        return;
    }
    const auto n = static_cast<std::size_t>(res);
    if (m_direct) {
        m_done += n;
        if (m_done < m_length) {
            m_writing = true;
            ++m_pending;
            io_uring_prep_send(m_loop.sqe(m_send_op), m_fd.get(), m_buffer.data() + m_done, m_length - m_done,
                               MSG_NOSIGNAL);
            return;
        }
        m_stats.bytes += m_length;
        read();
        return;
    }
    m_stats.bytes += n;
    m_line.consumed(n);
    if (m_eof && m_line.empty()) {
        close(); // all echoed: close, as the direct path does at the end of the stream
        return;
    }
    read(); // resumes reading if the full queue had paused it
    release();
}

void UringStreamEcho::timer(int, unsigned) {
    m_timer_armed = false;
    --m_pending;
    if (m_closing) {
        finished();
        return;
    }
    release();
}

void UringStreamEcho::removed(int, unsigned) {
    --m_pending;
    finished();
}

// Ends what is in flight: a shutdown completes the receive and the send, the pending timeout is
// removed. The owner frees the connection once the last completion is in (finished()).
void UringStreamEcho::close() {
    m_closing = true;
    ::shutdown(m_fd.get(), SHUT_RDWR);
    if (m_timer_armed) {
        ++m_pending;
        io_uring_prep_timeout_remove(m_loop.sqe(m_remove_op),
                                     reinterpret_cast<__u64>(static_cast<UringOp*>(&m_timer_op)), 0);
    }
    finished();
}

void UringStreamEcho::finished() {
    if (m_closing && m_pending == 0)
        m_on_closed(*this); // frees this: the last thing done here
}

UringDatagramEcho::UringDatagramEcho(UringLoop& loop, PongStats& stats, const Impairments& impairments, Fd fd,
                                     ResidenceRecorder* residence)
    : m_loop(loop)
    , m_stats(stats)
    , m_fd(std::move(fd))
    , m_line(impairments, DelayLine::Kind::Datagram)
    , m_buffer(kMaxUdpPayload + 1)
    , m_meter(residence) {}

void UringDatagramEcho::receive() {
    m_sending = false;
    std::span<std::byte> target = m_buffer;
    m_queued = false;
    m_direct = m_line.bypass();
    if (!m_direct) {
        // Into the delay queue, or into the buffer to be dropped and counted when it is full.
        const std::span<std::byte> room = m_line.room();
        m_queued = !room.empty();
        if (m_queued)
            target = room;
    }
    m_iov = {target.data(), target.size()};
    m_msg = {};
    m_msg.msg_name = &m_from;
    m_msg.msg_namelen = sizeof(m_from);
    m_msg.msg_iov = &m_iov;
    m_msg.msg_iovlen = 1;
    if (m_meter.on()) {
        m_msg.msg_control = m_control.buf;
        m_msg.msg_controllen = sizeof(m_control.buf);
    }
    io_uring_prep_recvmsg(m_loop.sqe(*this), m_fd.get(), &m_msg, 0);
}

void UringDatagramEcho::complete(int res, unsigned) {
    if (m_sending) {
        if (res >= 0)
            m_stats.bytes += static_cast<std::uint64_t>(res);
        m_meter.sent(m_rx, m_t_send);
        receive();
        return;
    }
    if (res < 0) { // e.g. ICMP unreachable from an earlier client: not fatal for the others
        receive();
        return;
    }
    const std::int64_t rx = m_meter.on() ? rx_stamp_of(m_msg) : 0;
    if (m_direct) {
        m_sending = true;
        m_iov.iov_len = static_cast<std::size_t>(res);
        m_msg.msg_namelen = m_from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        if (m_meter.on()) {
            m_msg.msg_control = nullptr; // the echo carries no control data
            m_msg.msg_controllen = 0;
            m_rx = rx;
            m_t_send = m_meter.send_begins();
        }
        io_uring_prep_sendmsg(m_loop.sqe(*this), m_fd.get(), &m_msg, 0);
        return;
    }
    const auto from_len =
        static_cast<socklen_t>(m_from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    if (!m_queued || !m_line.commit(static_cast<std::size_t>(res), now_ns(),
                                    reinterpret_cast<const sockaddr*>(&m_from), from_len, rx))
        m_stats.dropped++;
    release();
    receive();
}

// Sends the datagrams that are due and waits for the next one. They leave in order of due time, so
// a new one with a shorter hold removes a later timeout; its completion re-arms for the earliest.
void UringDatagramEcho::release() {
    const Nanos now = now_ns();
    while (!m_line.empty() && m_line.next_due() <= now) {
        const DelayLine::Message m = m_line.front();
        const Nanos t_send = m_meter.send_begins();
        if (::sendto(m_fd.get(), m.data, m.size, MSG_NOSIGNAL, m.to, m.to_len) ==
            static_cast<ssize_t>(m.size))
            m_stats.bytes += m.size;
        m_meter.sent(m.stamp, t_send);
        m_line.consumed(m.size);
    }
    if (m_line.empty())
        return;
    const Nanos due = m_line.next_due();
    if (m_armed_for != 0) {
        if (m_armed_for > due && !m_removing) {
            m_removing = true;
            io_uring_prep_timeout_remove(m_loop.sqe(m_remove_op),
                                         reinterpret_cast<__u64>(static_cast<UringOp*>(&m_timer_op)), 0);
        }
        return;
    }
    m_armed_for = due;
    m_loop.timeout_at(m_timer_op, m_ts, due);
}

void UringDatagramEcho::timer(int, unsigned) {
    m_armed_for = 0;
    m_removing = false;
    release();
}

} // namespace le
