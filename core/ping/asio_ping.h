#pragma once

#include "ping_engine.h"

namespace le {

// The asio engines. With threads = 1 (asio): sends, receives, pacing timers, loss scans and compute
// tasks are all handlers on one io_context thread, like an async runtime with a single executor. A
// task's work delays the I/O completions queued behind it, which is exactly what it is there to show.
// With threads > 1 (asio-pool): that many threads run the io_context, the data path is serialised on
// a strand and the compute tasks spread over the pool, like a work-stealing runtime.
std::unique_ptr<PingEngine> make_asio_ping(PingContext& context, Fd socket, int threads = 1);
// The same code compiled again on Asio's io_uring backend (the asio-uring engine; see
// core/CMakeLists.txt, which builds that copy with names of its own).
std::unique_ptr<PingEngine> make_asio_uring_ping(PingContext& context, Fd socket, int threads);

} // namespace le
