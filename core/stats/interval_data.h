#pragma once

#include "histogram.h"
#include "split_stats.h"

#include <cstdint>

namespace le {

// What the data path accumulates during one interval. Fields written by different threads (the
// open-loop sender counts `sent`, the receiver the rest) are distinct memory locations.
struct IntervalData {
    Histogram rtt;          // nanoseconds, every echo
    Histogram rtt_first;    // the first echo of each burst (of every tick when the burst is 1)
    Histogram rtt_rest;     // the other echoes of a burst
    std::uint64_t sent = 0; // messages sent (after warm-up)
    std::uint64_t received = 0;
    std::uint64_t lost = 0;   // no valid echo within the timeout
    std::uint64_t errors = 0; // echoes of the wrong length or sequence
    std::uint64_t bytes = 0;  // payload bytes sent
    SplitData split;          // with kernel timestamps: where each received echo's time went

    void reset() noexcept {
        rtt.reset();
        rtt_first.reset();
        rtt_rest.reset();
        sent = received = lost = errors = bytes = 0;
        split.reset();
    }
    void add(const IntervalData& o) noexcept {
        rtt.add(o.rtt);
        rtt_first.add(o.rtt_first);
        rtt_rest.add(o.rtt_rest);
        sent += o.sent;
        received += o.received;
        lost += o.lost;
        errors += o.errors;
        bytes += o.bytes;
        split.add(o.split);
    }
};

} // namespace le
