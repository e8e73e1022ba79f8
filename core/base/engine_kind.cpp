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
    case EngineKind::Uring:
        return "uring";
    case EngineKind::UringSqpoll:
        return "uring-sqpoll";
    case EngineKind::Libuv:
        return "libuv";
    case EngineKind::AsioUring:
        return "asio-uring";
    }
    return "?";
}

std::string_view engine_names() {
    return "blocking, asio, asio-pool, spin, uring, uring-sqpoll, libuv, asio-uring";
}

std::string_view engine_description(EngineKind e) {
    switch (e) {
    case EngineKind::Blocking:
        return "blocking: the data path is one thread making blocking calls (in open loop non-blocking sends "
               "and reads, sleeping in ppoll between them); compute tasks are OS threads that compete with "
               "it for the cores. What most hand-written tools do; each echo costs a wake-up of a sleeping "
               "thread.";
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
    case EngineKind::Uring:
        return "uring: one thread and one io_uring (liburing): sends, receives (one multishot receive into a "
               "ring of provided buffers on the ping), the pacing timeouts and the compute tasks are all "
               "completions of the same ring, like asio but with one system call per batch of submissions "
               "and completions instead of epoll plus a read or write per socket operation.";
    case EngineKind::UringSqpoll:
        return "uring-sqpoll: uring with IORING_SETUP_SQPOLL: a kernel thread polls the submission queue, "
               "so submitting costs no system call; the engine thread still sleeps for completions. "
               "io_uring's busy-poll answer to spin: the SQ thread spins a core while there is traffic "
               "(and 1 s after), and its CPU time counts in the record's cpu_percent.";
    case EngineKind::Libuv:
        return "libuv: one uv_loop_t (the event loop under Node.js) with uv_tcp_t, uv_udp_t or uv_pipe_t; "
               "pacing and the compute tasks are uv_timer_t. libuv's timers count whole milliseconds, so "
               "a send due sooner than 1 ms away is waited for by turning the loop without sleeping "
               "(a uv_idle_t): CPU-hungry at rates above ~1k/s, like a real libuv program would be.";
    case EngineKind::AsioUring:
        return "asio-uring: the asio engine's very code built on Asio's io_uring backend (ASIO_HAS_IO_URING, "
               "ASIO_DISABLE_EPOLL) in translation units of its own: what the backend alone changes.";
    }
    return {};
}

bool busy_polls(EngineKind e) {
    return e == EngineKind::Spin || e == EngineKind::UringSqpoll || e == EngineKind::Libuv;
}

} // namespace le
