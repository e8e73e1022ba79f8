#pragma once

#include "histogram.h"
#include "interval_data.h"
#include "split_stats.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace le {

// A live change as it was applied, stamped with its time since the run started.
struct ParamChange {
    double t_s = 0;
    std::string key;   // "rate", "payload", "tasks", "task-work", "task-period"
    std::string value; // as the user would type it: "10k", "1KiB", "100", "20us"
};

// Percentiles of one histogram, in microseconds.
struct RttStats {
    std::uint64_t count = 0;
    double min_us = 0, mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, p9999_us = 0, max_us = 0;
};
RttStats stats_of(const Histogram& h);

// What consumers (the command line, the window, exporters) receive: one per interval, and one
// summary over the whole measured time. Plain values, safe to copy across threads.
struct IntervalRecord {
    enum class Kind { Interval, Summary };
    Kind kind = Kind::Interval;
    double t_s = 0;           // seconds since the run started (warm-up included), at the record's end
    double duration_s = 0;    // time covered
    double target_rate = 0;   // msg/s at the record's end, 0 = back-to-back
    double achieved_rate = 0; // messages sent per second over duration_s
    std::uint64_t payload = 0;
    int tasks = 0;
    std::uint64_t sent = 0, received = 0, lost = 0, errors = 0, bytes = 0;
    std::uint64_t strays = 0;  // echoes of no message sent: not in the counts above (IntervalData)
    std::uint64_t skipped = 0; // closed loop: slots passed unsent while waiting (IntervalData)
    double min_us = 0, mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, p9999_us = 0, max_us = 0;
    int burst = 1;          // round trips sent back-to-back per tick
    RttStats first, rest;   // with burst > 1: the first round trip of each tick, and the others
    double cpu_percent = 0; // process CPU time over wall time (100 = one core busy)
    std::string ping_cpus = "any", pong_cpus = "any"; // placement ("any" = not pinned)
    std::string engine;                               // the ping's engine ("uring", ...); empty if unknown
    // The instrument's own lag: how late the sends left against their schedule (IntervalData::send_lag).
    double send_lag_p50_us = 0, send_lag_p99_us = 0, send_lag_max_us = 0;
    // The instrument could not keep its schedule (see set_send_lag): its own queue is in the RTTs. A
    // summary is saturated when any of its intervals was.
    bool saturated = false;
    std::vector<ParamChange> changes;        // applied during this interval (all of them in a summary)
    std::shared_ptr<const Histogram> rtt_ns; // the interval's (or the whole run's) histogram
    std::shared_ptr<const Histogram> rtt_first_ns, rtt_rest_ns; // with burst > 1
    // Kernel-timestamp split of the round trips (split_stats.h): "yes", or "no: " and why not (not
    // asked for, an engine, transport or mode that has no split). `split` is meaningful only with "yes".
    std::string split_available = "no: not asked for (--kernel-timestamps)";
    SplitStats split;
    // The parts' histograms (nanoseconds) with the split: in a summary so runs merge exactly
    // (compare's slices), in an interval for the window's per-part histogram (RunHistory keeps
    // windows of them, not the records'); null without a split.
    std::shared_ptr<const SplitData> split_ns;
    bool has_split() const noexcept { return split_available == "yes"; }
    // The peer's side of the split (split.pong, split.network): "yes" when the peer is a pong of ours
    // that measured its residence, or "no: " and why not ("no: a plain echo peer", "no: ... tcp streams not
    // measured yet").
    std::string peer_split_available = "no: not asked for (--kernel-timestamps)";
    bool has_peer_split() const noexcept { return has_split() && peer_split_available == "yes"; }

    // Sets min_us ... max_us from `s`.
    void set_stats(const RttStats& s);
    // Adds `o`'s time and counts (duration, sent, received, lost, errors, bytes, strays, skipped) to these:
    // the one place that knows which fields of a record sum when records are merged.
    void add_counts(const IntervalRecord& o) noexcept {
        duration_s += o.duration_s;
        sent += o.sent;
        received += o.received;
        lost += o.lost;
        errors += o.errors;
        bytes += o.bytes;
        strays += o.strays;
        skipped += o.skipped;
    }
    // Sets the counts (sent, received, lost, errors, bytes, strays, skipped) from the data path's.
    void set_counts(const IntervalData& d) noexcept {
        sent = d.sent;
        received = d.received;
        lost = d.lost;
        errors = d.errors;
        bytes = d.bytes;
        strays = d.strays;
        skipped = d.skipped;
    }
    // Sets send_lag_* from `lag_ns` (saturated is judged apart: instrument_saturated()).
    void set_send_lag(const Histogram& lag_ns);
};

// Whether `r` (its send lag, target and achieved rates, duration and changes set) shows an instrument
// that could not keep its schedule: a paced run whose median send lag exceeds a tenth of the period
// (which also covers a ping thread with no idle time: never ahead of its schedule, its lag only
// grows), or an open-loop summary, whose sends wait for nothing but the instrument, that sent less
// than 98 % of what its time called for (messages never sent leave no lag behind; judged over 100
// messages or more and without a rate change, and not per interval, whose boundaries cut the
// schedule wherever the collector woke). Back-to-back has no schedule: never saturated.
bool instrument_saturated(const IntervalRecord& r, bool open_loop);

// Folds `r`'s send lag into `into` where records are merged without their lag histograms: each
// figure the larger of the two, saturated when either is.
void worst_send_lag(IntervalRecord& into, const IntervalRecord& r);

} // namespace le
