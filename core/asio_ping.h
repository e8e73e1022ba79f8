#pragma once

#include "ping_engine.h"

namespace le {

// The asio engine: sends, receives, pacing timers, loss scans and compute tasks are all handlers
// on one io_context thread, like an async runtime with a single executor. A task's work delays the
// I/O completions queued behind it, which is exactly what it is there to show.
std::unique_ptr<PingEngine> make_asio_ping(PingContext& context, Fd socket);

} // namespace le
