#pragma once

#include "pong_base.h"

#include <memory>

namespace le {

// The libuv engine's pong (uv_pong.cpp): one uv_loop_t on one thread. Stream endpoints are listening
// uv_tcp_t / uv_pipe_t; a connection stops reading while it writes back what it read (the other
// pongs' back-pressure); a UDP endpoint answers with uv_udp_try_send and, when the socket is full,
// pauses receiving until uv_udp_send is done. With impairments a connection or endpoint holds what
// it reads in a delay line released by a uv_timer_t (libuv's timers count whole milliseconds, so a
// hold ends up to ~1 ms late, never early). The compute tasks are uv_timer_t (uv_tasks.h). Note that libuv
// answers running out of descriptors by accepting and closing the waiting connections (its EMFILE trick),
// where the other pongs leave them waiting.
std::unique_ptr<PongServer> make_uv_pong(const PongConfig& config);

} // namespace le
