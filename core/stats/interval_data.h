#pragma once

#include "histogram.h"
#include "split_stats.h"

#include <cstdint>

namespace le {

// What the data path accumulates during one interval. Fields written by different threads (the
// open-loop sender counts `sent`, the receiver the rest) are distinct memory locations.
struct IntervalData {
    Histogram rtt;       // nanoseconds, every echo
    Histogram rtt_first; // the first echo of each burst (kept only with a burst > 1: EchoBook)
    Histogram rtt_rest;  // the other echoes of a burst
    // The instrument's own lag: how late each counted message left against its schedule (open loop:
    // its due time; closed loop: its due time or the previous echo, whichever came later).
    Histogram send_lag;
    std::uint64_t sent = 0; // messages sent (after warm-up)
    std::uint64_t received = 0;
    std::uint64_t lost = 0;   // no valid echo within the timeout
    std::uint64_t errors = 0; // echoes of the wrong length or sequence
    std::uint64_t bytes = 0;  // payload bytes sent
    // Echoes of no message sent (a sequence number never sent, or shorter than one): outside
    // sent = received + lost + errors, which they would break, and counted so the user learns of them.
    std::uint64_t strays = 0;
    // Closed loop: messages of the schedule not sent because their slot passed while the ping waited
    // for an echo or for the CPU (Pacer::skip_missed): sent + skipped counts every slot, and the
    // shortfall of the achieved rate against the target is these.
    std::uint64_t skipped = 0;
    SplitData split; // with kernel timestamps: where each received echo's time went

    void reset() noexcept {
        rtt.reset();
        rtt_first.reset();
        rtt_rest.reset();
        send_lag.reset();
        sent = received = lost = errors = bytes = strays = skipped = 0;
        split.reset();
    }
    void add(const IntervalData& o) noexcept {
        rtt.add(o.rtt);
        rtt_first.add(o.rtt_first);
        rtt_rest.add(o.rtt_rest);
        send_lag.add(o.send_lag);
        sent += o.sent;
        received += o.received;
        lost += o.lost;
        errors += o.errors;
        bytes += o.bytes;
        strays += o.strays;
        skipped += o.skipped;
        split.add(o.split);
    }
};

} // namespace le
