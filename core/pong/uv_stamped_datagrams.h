#pragma once

#include "impairments.h"
#include "pong_residence.h"
#include "pong_server.h"
#include "socket.h"
#include "stamped_datagrams.h"

#include <uv.h>

namespace le {

// One UDP endpoint of the libuv pong while it measures its residence. libuv's UDP receive gives no
// control messages, so instead of a uv_udp_t a poll handle on the socket says when it is readable and
// StampedDatagrams reads each datagram with its RX stamp and echoes it (or queues it in the delay
// line, released by a uv_timer_t as the libuv pong's other endpoints do). Loop thread only.
class UvStampedDatagrams {
public:
    // `fd`: the bound UDP socket with RX stamps on (PongBase::residence_for() gave `sink`).
    UvStampedDatagrams(uv_loop_t& loop, Fd fd, ResidenceRecorder* sink, const Impairments& impairments,
                       PongStats& stats);
    UvStampedDatagrams(const UvStampedDatagrams&) = delete;
    UvStampedDatagrams& operator=(const UvStampedDatagrams&) = delete;

    // Starts serving: 0, or libuv's error.
    int start();
    // Closes the handles (no callback of theirs runs after the loop's next turn); this must outlive
    // the loop's run, and the socket closes with it.
    void close();

private:
    static void on_readable(uv_poll_t* handle, int status, int events);
    void release();

    uv_loop_t& m_loop;
    Fd m_fd;
    DelayLine m_line;
    StampedDatagrams m_echo;
    uv_poll_t m_poll{};
    uv_timer_t m_timer{};
    bool m_poll_open = false;
};

} // namespace le
