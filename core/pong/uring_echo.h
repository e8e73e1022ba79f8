#pragma once

#include "impairments.h"
#include "pong_residence.h"
#include "pong_server.h"
#include "socket.h"
#include "uring_loop.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <functional>
#include <vector>

namespace le {

// One connection of the uring pong (uring_pong.cpp), all on the loop's thread.
//
// Direct path (no impairment set, nothing queued): one operation at a time, a receive into its own
// kPongChunk buffer or the send of what it brought, so a client that does not read is no longer
// read (the other pongs' back-pressure). Delayed path (impairments on): receives go into the
// DelayLine while it has room, and the chunks go back in order when due, released by an absolute
// timeout on the same ring; a client that does not read fills its own queue and is then no longer
// read. The path is chosen before each receive, so impairments apply from the next message on and
// the queue drains before the direct path comes back (byte order is kept).
//
// The connection ends at the end of the stream (after echoing what is queued) or on an error; its
// pending operations are ended (shutdown, timeout removal) and `on_closed` runs once none is left:
// the owner frees it there.
//
// Measuring the residence (`residence` not null: a TCP connection with RX stamps on), each receive
// is a recvmsg with a control buffer, which brings the read's RX stamp (of the last segment it
// consumed), and the residence runs to the moment the send that starts echoing those bytes is
// queued on the ring; off, the receive is the plain recv.
class UringStreamEcho final : public UringOp {
public:
    UringStreamEcho(UringLoop& loop, PongStats& stats, const Impairments& impairments, int fd,
                    std::function<void(UringStreamEcho&)> on_closed, ResidenceRecorder* residence = nullptr);
    // Queues the first receive.
    void start() { read(); }
    std::size_t index = 0; // the owner's bookkeeping

    void complete(int res, unsigned flags) override; // a receive

private:
    void read();
    void release();
    void close();
    void sent(int res, unsigned flags);
    void timer(int res, unsigned flags);
    void removed(int res, unsigned flags);
    void finished(); // one operation less in flight

    UringLoop& m_loop;
    PongStats& m_stats;
    Fd m_fd;
    std::function<void(UringStreamEcho&)> m_on_closed;
    DelayLine m_line;
    std::vector<std::byte> m_buffer = std::vector<std::byte>(kPongChunk);
    BoundOp<UringStreamEcho, &UringStreamEcho::sent> m_send_op{*this};
    BoundOp<UringStreamEcho, &UringStreamEcho::timer> m_timer_op{*this};
    BoundOp<UringStreamEcho, &UringStreamEcho::removed> m_remove_op{*this};
    __kernel_timespec m_ts{};
    int m_pending = 0;          // operations in flight
    bool m_reading = false;     // a receive is in flight
    bool m_direct = true;       // ... into m_buffer (else into the delay line's room)
    bool m_writing = false;     // a send is in flight
    std::size_t m_length = 0;   // direct path: received, being echoed
    std::size_t m_done = 0;     // ... of it sent
    bool m_timer_armed = false; // a release timeout is in flight
    bool m_eof = false;         // the client half-closed: echo what is queued, then close
    bool m_closing = false;
    ResidenceMeter m_meter;
    iovec m_iov{}; // measuring: the recvmsg in flight
    msghdr m_msg{};
    StampControl m_control; // its control data (last: cmsghdr ends in a flexible array)
};

// One UDP endpoint of the uring pong, on the loop's thread. Direct path: recvmsg into its buffer,
// sendmsg of it back, recvmsg again. Delayed path: recvmsg into the DelayLine (into the buffer, to
// drop and count, when the queue is full or the loss setting takes it); due datagrams go back with
// a plain sendto from the loop thread (a UDP send waits only while the socket buffer is full, as in
// the asio pong), in order of due time, and a timeout on the ring waits for the next one, removed
// and re-armed when a datagram with a shorter hold comes. Measuring the residence (`residence` not
// null), each recvmsg also takes the datagram's RX stamp in a control buffer, and the residence runs
// to the moment its echo's sendmsg is queued on the ring (or its sendto begins, delayed); off, the
// receive has no control buffer and nothing else changes.
class UringDatagramEcho final : public UringOp {
public:
    UringDatagramEcho(UringLoop& loop, PongStats& stats, const Impairments& impairments, Fd fd,
                      ResidenceRecorder* residence);
    void start() { receive(); }

    void complete(int res, unsigned flags) override; // a recvmsg or a direct sendmsg

private:
    void receive();
    void release();
    void timer(int res, unsigned flags);
    void removed(int, unsigned) {}

    UringLoop& m_loop;
    PongStats& m_stats;
    Fd m_fd;
    DelayLine m_line;
    std::vector<std::byte> m_buffer;
    sockaddr_storage m_from{};
    iovec m_iov{};
    msghdr m_msg{};
    bool m_sending = false; // direct path: the sendmsg is in flight
    bool m_direct = true;   // the recvmsg in flight is on the direct path
    bool m_queued = false;  // ... into the delay line (delayed path, not full)
    BoundOp<UringDatagramEcho, &UringDatagramEcho::timer> m_timer_op{*this};
    BoundOp<UringDatagramEcho, &UringDatagramEcho::removed> m_remove_op{*this};
    __kernel_timespec m_ts{};
    Nanos m_armed_for = 0; // the due time the timeout waits for; 0 while none is in flight
    bool m_removing = false;
    ResidenceMeter m_meter;
    std::int64_t m_rx = 0; // the direct echo in flight: its request's RX stamp ...
    Nanos m_t_send = 0;    // ... and when its sendmsg was queued (recorded once it completes)
    StampControl
        m_control; // the recvmsg's control data, when measuring (last: cmsghdr ends in a flexible array)
};

} // namespace le
