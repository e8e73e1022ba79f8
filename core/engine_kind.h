#pragma once

#include <string_view>

namespace le {

// How a side schedules its I/O and compute tasks: the analogue of the study's runtimes.
enum class EngineKind {
    Blocking, // a thread per socket, blocking calls; compute tasks are OS threads
    Asio,     // one io_context thread; I/O completions and compute tasks are handlers on it
};

EngineKind parse_engine(std::string_view text); // throws std::invalid_argument listing the engines
std::string_view to_string(EngineKind e);
std::string_view engine_names(); // "blocking, asio"

} // namespace le
