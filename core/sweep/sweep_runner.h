#pragma once

#include "sweep_result.h"
#include "sweep_spec.h"

#include <atomic>
#include <functional>
#include <string>

namespace le {

struct SweepProgress {
    std::size_t done = 0;    // points finished in this run, failed ones included
    std::size_t skipped = 0; // points found done in the file (resume)
    std::size_t total = 0;   // points of the whole grid
    double elapsed_s = 0;
    double eta_s = 0;    // remaining planned time, scaled by how much longer points really take
    std::string current; // the point in flight ("" when none)
};

struct SweepCallbacks {
    std::function<void(const SweepProgress&)> progress; // before each point and after it
    std::function<void(const SweepPointResult&)> point; // each finished point (also failed ones)
};

struct SweepRunOptions {
    std::string out;     // file written after every point (.csv or .json); empty: none
    bool resume = false; // load `out` and skip the points it has done with the same settings
    std::string ping_binary = "ping";
};

// Runs the sweep's points one after the other through PingSession (and the system ping for the
// ICMP points), saving the file after each point so a crash or cancel loses only the point in
// flight. A point that fails is recorded with its error and the sweep goes on. `stop` cancels:
// the point in flight is dropped and the file keeps the finished ones.
// Throws std::invalid_argument for a bad spec, std::runtime_error when resuming from a file that
// cannot be read or was measured with other settings, or when the file cannot be written.
SweepFile run_sweep(const SweepSpec& spec, const SweepRunOptions& options,
                    const SweepCallbacks& callbacks = {}, const std::atomic<bool>* stop = nullptr);

// Measures one point (not ICMP) with PingSession. Failures are returned in `error`, not thrown.
SweepPointResult run_ping_point(const SweepPoint& point, const std::atomic<bool>* stop = nullptr);

// The host the ICMP baseline pings: the spec's, else the peer's, else 127.0.0.1 (the local pong).
std::string icmp_host(const SweepSpec& spec);

} // namespace le
