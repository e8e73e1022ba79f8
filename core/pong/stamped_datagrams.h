#pragma once

#include "impairments.h"
#include "pong_residence.h"
#include "pong_server.h"

#include <cstddef>
#include <vector>

namespace le {

// A pong's UDP echo one datagram at a time, each read with recvmsg and its RX stamp when the pong
// measures its residence (ResidenceMeter; off, the plain recvfrom). The event-loop pongs (asio,
// libuv) use it while measuring, in place of their own receive, which has no control messages: the
// loop says the socket is readable and drain() reads what waits. The blocking pong uses it to
// measure, and for its delayed path. Direct path (DelayLine::bypass()): each datagram goes straight
// back with sendto, which waits only while the socket buffer is full (as the asio pong's send), and
// its residence is recorded. Delayed path: each goes into the delay line with its stamp (dropped and
// counted when the line is full or the loss setting takes it), and release_due() sends it when due.
// The path is chosen per datagram, as the engines do. One thread (or strand) at a time; no
// allocation once constructed.
class StampedDatagrams {
public:
    // Datagrams to drain() per readiness: a few recvmmsg batches' worth (DatagramEcho::kMax each), so
    // the loop's other sockets and tasks get their turn.
    static constexpr int kPerWake = 128;

    // `fd`: the endpoint's unconnected UDP socket; `sink` from PongBase::residence_for() (RX stamps
    // on), or null: nothing measured. `line` and `stats` are the endpoint's and the pong's; they
    // outlive this.
    StampedDatagrams(int fd, ResidenceRecorder* sink, DelayLine& line, PongStats& stats);

    // Reads at most `max` datagrams. `wait`: the first read blocks until one comes or the socket's
    // receive timeout ends; otherwise none does. Returns how many it read: fewer than `max` means
    // none waits now (a receive error, e.g. an ICMP error left by an earlier client, which the call
    // clears, also ends the round).
    int drain(int max, bool wait) noexcept;
    // Delayed path: sends the datagrams due by `now`, in order of due time, recording each one's
    // residence (its hold included: the peer held it).
    void release_due(Nanos now) noexcept;

private:
    int m_fd;
    ResidenceMeter m_meter;
    DelayLine& m_line;
    PongStats& m_stats;
    std::vector<std::byte> m_buffer; // the direct path's, and the spare for a datagram dropped
};

} // namespace le
