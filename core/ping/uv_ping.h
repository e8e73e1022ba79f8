#pragma once

#include "ping_engine.h"

namespace le {

// The libuv engine's ping (uv_ping.cpp): one uv_loop_t on one thread. The socket is a uv_tcp_t,
// uv_pipe_t (Unix) or uv_udp_t; pacing and the loss scan are uv_timer_t, the compute tasks too
// (uv_tasks.h). Throws std::runtime_error when libuv refuses the socket.
std::unique_ptr<PingEngine> make_uv_ping(PingContext& context, Fd socket);

} // namespace le
