#pragma once

#include "histogram.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace le {

// A Histogram stored as its non-empty buckets only. An interval at 1k msg/s fills ~30 of the 4,352
// buckets, so keeping a minute of interval histograms this way costs kilobytes where dense copies
// would cost ~60 MB. Exact: dense() gives back a Histogram operator== equal to the one it was made of.
struct SparseHistogram {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets; // (bucket index, count), ascending
    std::uint64_t total = 0, overflow = 0, sum = 0;
    std::int64_t min = 0, max = 0; // 0 when empty, as Histogram reports them

    static SparseHistogram of(const Histogram& h);
    // Adds `other` into this one exactly (counts, sum, overflow, min, max).
    void add(const SparseHistogram& other);
    // Adds (sign +1) or removes (sign -1, only what was added before) the bucket counts to `counts`,
    // a dense vector of Histogram::kBucketCount.
    void apply_to(std::vector<std::uint64_t>& counts, int sign) const;
    Histogram dense() const;
    bool empty() const { return total == 0; }
};

} // namespace le
