#pragma once

#include "ping_config.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace le {

// A sweep: the study's figure as a grid of measurement points, rate x payload x tasks x transport
// x engine, each measured `repeat` times, plus (optionally) the system ping at each rate as the
// kernel-only floor. Everything not on the grid (peer, loop mode, task work, CPU placement, ...)
// comes from `base`.
struct SweepSpec {
    std::vector<double> rates{kRateInf}; // msg/s, kRateInf = back-to-back
    std::vector<std::size_t> payloads{64};
    std::vector<int> tasks{0};
    std::vector<Transport> transports{Transport::Tcp};
    std::vector<EngineKind> engines{EngineKind::Blocking};
    int repeat = 1;
    Nanos duration = 5 * kNanosPerSecond; // measured time per point
    Nanos warmup = 500 * kNanosPerMilli;  // per point, not counted
    Nanos pause = 0;                      // idle time between points (lets the machine settle)
    bool icmp = true;                     // also run the system ping at each rate
    std::string icmp_host;                // empty: the peer's host (127.0.0.1 for the local pong)
    PingConfig base;                      // rate, payload, tasks, transport and engine are overridden
};

// "the study's sweep": rates 1 .. 1M and back-to-back, tasks 0/10/100/1000, 64 B, TCP and UDP.
SweepSpec study_preset();
// A few rates on TCP and UDP, short points: about a minute in all.
SweepSpec quick_preset();
// The study's figure for C++ frameworks: rates 100 .. 100k and back-to-back, tasks 0/10/100, engines
// blocking, asio, uring, uring-sqpoll, libuv and spin, TCP and UDP, 1 s points: about 4 minutes.
SweepSpec frameworks_preset();
SweepSpec preset(std::string_view name); // "study", "quick" or "frameworks"; throws std::invalid_argument

// Throws std::invalid_argument naming the first bad value (empty lists, a transport the remote
// peer does not speak, a payload that does not fit a transport, ...).
void validate(const SweepSpec& spec);
// The most points a sweep may have (grid x repeat, and its ICMP points): each keeps its full
// histogram (~35 KiB in memory), so 10,000 take ~350 MB. validate() refuses bigger grids, and sweep
// files with more points are refused as too large.
inline constexpr std::size_t kMaxSweepPoints = 10'000;

// One measurement point of the grid. ICMP points have `icmp` set; their config carries the rate.
struct SweepPoint {
    std::size_t index = 0; // position in the sweep's order
    int repetition = 0;    // 0-based
    bool icmp = false;
    PingConfig config;

    // Identifies the point across runs (resume): "tcp/blocking/tasks=0/payload=64/rate=1k/rep=0",
    // "icmp/payload=56/rate=1k/rep=0".
    std::string key() const;
};

// The points in the order they are measured: repetitions outermost (a cancelled sweep still has a
// whole first pass), then engine, transport, tasks, payload, rate (one curve of the figure after
// the other); the ICMP points close the first repetition.
std::vector<SweepPoint> expand(const SweepSpec& spec);

// Measured time including warm-up and pause, for ETAs.
Nanos planned_time(const SweepSpec& spec, const SweepPoint& point);

// What the sweep file stores, and back. Only the settings that change what a point measures are
// compared on resume (measurement_settings()).
nlohmann::json spec_to_json(const SweepSpec& spec);
SweepSpec spec_from_json(const nlohmann::json& j); // throws std::runtime_error naming the field
// The part of a spec that must match for points of an earlier run to count as done: duration,
// warm-up, peer, loop mode, timeout, task work and period, burst, CPU placement.
nlohmann::json measurement_settings(const SweepSpec& spec);

// The ICMP payload (ping's default, 56 data bytes + 8 header = 64 on the wire like the study's).
inline constexpr std::size_t kIcmpPayload = 56;

} // namespace le
