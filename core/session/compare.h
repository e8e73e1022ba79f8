#pragma once

#include "histogram.h"
#include "interval_record.h"
#include "ping_config.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace le {

// A/B comparison: several configurations measured alternately in short slices (A B C A B C ...),
// so drift on the machine (frequency, other load, thermal) hits all of them alike, instead of
// one after the other as separate runs would.
struct CompareVariant {
    std::string name; // "asio", "spin/udp", "blocking, 100 tasks"
    PingConfig config;
};

struct CompareResult {
    std::string name;
    Histogram rtt;          // every slice's measured data merged
    SplitData split;        // with config.kernel_timestamps: every slice's part histograms merged
    IntervalRecord summary; // statistics over the merged data (achieved rate over the sliced time);
                            // split_available and split as a run of the variant says them
    std::string error;      // the first failure, if a slice could not run
};

struct CompareOptions {
    Nanos total_per_variant = 10 * kNanosPerSecond; // measured time each variant gets
    Nanos slice = kNanosPerSecond;
    Nanos warmup_per_slice = 200 * kNanosPerMilli;
};

// The variants of `base` for every combination of the listed engines, transports and task counts
// (an empty list keeps the base's value); names mention only what varies.
std::vector<CompareVariant> make_variants(const PingConfig& base, const std::vector<EngineKind>& engines,
                                          const std::vector<Transport>& transports,
                                          const std::vector<int>& tasks);

// Runs the slices; `progress(done, total)` after each one. Stops early (with what it has) when
// `stop` becomes true. Throws std::invalid_argument for bad options.
// `on_slice(variant, summary)` gets each slice's summary as it ends (for live plots).
using SliceCallback = std::function<void(std::size_t variant, const IntervalRecord& slice)>;
std::vector<CompareResult> run_compare(const std::vector<CompareVariant>& variants,
                                       const CompareOptions& options,
                                       const std::function<void(int done, int total)>& progress = {},
                                       const std::atomic<bool>* stop = nullptr,
                                       const SliceCallback& on_slice = {});

// An aligned table: variant, msg/s, p50, p90, p99, p99.9, max (us) and p50/p99 ratios to the first.
// When a variant asked for the kernel-timestamp split, a second table gives each variant's parts
// (send, wire, wake: p50 and p99 in us), or why the variant has none.
std::string format_compare_table(const std::vector<CompareResult>& results);

} // namespace le
