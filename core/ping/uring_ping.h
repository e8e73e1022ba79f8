#pragma once

#include "ping_engine.h"

namespace le {

// The uring engines' ping (uring_ping.cpp): one thread drives one io_uring. Sends, the receive (one
// multishot receive, see uring_recv.h), the pacing and loss-scan timeouts and the compute tasks are
// all completions of that ring, like the asio engine's handlers on its io_context. With `sqpoll` a
// kernel thread polls the submission queue (uring-sqpoll). Throws std::runtime_error when the
// kernel has no usable io_uring.
std::unique_ptr<PingEngine> make_uring_ping(PingContext& context, Fd socket, bool sqpoll);

} // namespace le
