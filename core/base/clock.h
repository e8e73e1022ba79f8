#pragma once

#include <chrono>
#include <cstdint>

namespace le {

// Every timestamp in the project is steady_clock nanoseconds: monotonic, immune to NTP steps.
using Nanos = std::int64_t;
using Clock = std::chrono::steady_clock;

inline Nanos now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

constexpr Nanos kNanosPerSecond = 1'000'000'000;
constexpr Nanos kNanosPerMilli = 1'000'000;
constexpr Nanos kNanosPerMicro = 1'000;

inline double to_seconds(Nanos ns) noexcept {
    return static_cast<double>(ns) / 1e9;
}
inline double to_micros(Nanos ns) noexcept {
    return static_cast<double>(ns) / 1e3;
}

// Wall-clock seconds since the Unix epoch: only to stamp files (interval logs' StartTime), never to
// measure.
inline double wall_clock_s() noexcept {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace le
