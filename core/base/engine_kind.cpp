#include "engine_kind.h"

#include <fmt/format.h>

#include <stdexcept>

namespace le {

EngineKind parse_engine(std::string_view text) {
    for (EngineKind e : kAllEngines)
        if (text == to_string(e))
            return e;
    throw std::invalid_argument(
        fmt::format("unknown engine '{}' (expected one of: {})", text, engine_names()));
}

std::string_view to_string(EngineKind e) {
    switch (e) {
    case EngineKind::Blocking:
        return "blocking";
    case EngineKind::Asio:
        return "asio";
    case EngineKind::AsioPool:
        return "asio-pool";
    case EngineKind::Spin:
        return "spin";
    }
    return "?";
}

std::string_view engine_names() {
    return "blocking, asio, asio-pool, spin";
}

std::string_view engine_description(EngineKind e) {
    switch (e) {
    case EngineKind::Blocking:
        return "blocking: the data path is a thread making blocking calls (a sender and a receiver thread in "
               "open loop); compute tasks are OS threads that compete with it for the cores. What most "
               "hand-written tools do; each echo costs a wake-up of a sleeping thread.";
    case EngineKind::Asio:
        return "asio: one io_context thread runs sends, receives, pacing timers and the compute tasks as "
               "handlers, like a single-executor async runtime. A task's work delays the I/O completions "
               "queued behind it, which is what the study measured.";
    case EngineKind::AsioPool:
        return "asio-pool: one io_context run by N threads (default: the number of cores); the data path is "
               "serialised on a strand, the compute tasks spread over the pool, like a work-stealing "
               "runtime. Costs hand-offs between threads; tolerates tasks better than asio.";
    case EngineKind::Spin:
        return "spin: non-blocking sockets polled in a busy loop on a dedicated thread, never sleeping; "
               "compute tasks run on other threads. Lowest latency, at the price of one core at 100%.";
    }
    return {};
}

} // namespace le
