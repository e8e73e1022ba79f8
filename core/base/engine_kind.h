#pragma once

#include <array>
#include <string_view>

namespace le {

// How a side schedules its I/O and compute tasks: the analogue of the study's runtimes.
enum class EngineKind {
    Blocking,    // a thread per socket, blocking calls; compute tasks are OS threads
    Asio,        // one io_context thread; I/O completions and compute tasks are handlers on it
    AsioPool,    // one io_context run by N threads (default: cores); I/O on a strand, tasks spread
    Spin,        // non-blocking sockets polled in a busy loop on a dedicated thread; tasks on threads
    Uring,       // one thread, one io_uring: I/O, pacing timeouts and compute tasks are its completions
    UringSqpoll, // the same with a kernel thread polling the submission queue (IORING_SETUP_SQPOLL)
    Libuv,       // one uv_loop_t: uv_tcp_t/uv_udp_t/uv_pipe_t, uv_timer_t for pacing and tasks
    AsioUring,   // the asio engine's code on Asio's io_uring backend instead of epoll
};

inline constexpr std::array kAllEngines{EngineKind::Blocking, EngineKind::Asio,     EngineKind::AsioPool,
                                        EngineKind::Spin,     EngineKind::Uring,    EngineKind::UringSqpoll,
                                        EngineKind::Libuv,    EngineKind::AsioUring};

EngineKind parse_engine(std::string_view text); // throws std::invalid_argument listing the engines
std::string_view to_string(EngineKind e);
std::string_view engine_names(); // "blocking, asio, asio-pool, spin, uring, ..."
// Whether the engine may keep a CPU busy while it waits for I/O: spin's loop, uring-sqpoll's kernel
// thread, libuv turning its loop for sends due within a millisecond. Such a run leaves no idle CPU
// for anything to draw in (IdleDrawing, in the window).
bool busy_polls(EngineKind e);
// One paragraph: what the engine models and what it costs.
std::string_view engine_description(EngineKind e);

} // namespace le
