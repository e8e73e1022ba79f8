#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace le {

// Log-linear histogram of non-negative integer values (nanoseconds here), laid out like
// HdrHistogram: values below 2^kSubBucketBits are counted exactly; above that every power-of-two
// range is split into kSubBucketHalf equal buckets, so a bucket is never wider than 1/128 of the
// values it holds (<= 0.79% relative error from 1 ns to kMaxTrackable ~ 1100 s).
// record() is O(1), allocation-free and noexcept; memory is fixed at construction.
class Histogram {
public:
    static constexpr int kSubBucketBits = 8;
    static constexpr std::int64_t kSubBucketCount = std::int64_t{1} << kSubBucketBits; // 256
    static constexpr std::int64_t kSubBucketHalf = kSubBucketCount / 2;                // 128
    static constexpr int kMaxBits = 40;
    static constexpr std::int64_t kMaxTrackable = (std::int64_t{1} << kMaxBits) - 1;
    static constexpr std::size_t kBucketCount =
        static_cast<std::size_t>(kSubBucketCount + (kMaxBits - kSubBucketBits) * kSubBucketHalf);

    Histogram();

    // Negative values count as 0; values above kMaxTrackable count as kMaxTrackable and are also
    // counted in overflow_count(), so nothing recorded is ever dropped.
    void record(std::int64_t value) noexcept;
    void record_n(std::int64_t value, std::uint64_t n) noexcept;
    void add(const Histogram& other) noexcept;
    void reset() noexcept;

    std::uint64_t count() const noexcept { return m_total; }
    std::uint64_t overflow_count() const noexcept { return m_overflow; }
    bool empty() const noexcept { return m_total == 0; }
    // Exact, not bucketed. 0 when empty.
    std::int64_t min() const noexcept;
    std::int64_t max() const noexcept { return m_total ? m_max : 0; }
    double mean() const noexcept; // exact (from the running sum)
    // The running sum itself, wrapping modulo 2^64 like the counters: what an exact save needs.
    std::uint64_t sum() const noexcept { return m_sum; }
    // Nearest-rank percentile (p in [0, 100]): the highest value equivalent to the bucket holding
    // the ceil(p/100 * count)-th smallest sample, clamped to [min(), max()]. 0 when empty.
    std::int64_t value_at_percentile(double p) const noexcept;

    // Bucket access, for plotting and export.
    static std::size_t index_of(std::int64_t value) noexcept;
    static std::int64_t lowest_equivalent(std::size_t index) noexcept;
    static std::int64_t highest_equivalent(std::size_t index) noexcept;
    std::uint64_t count_at_index(std::size_t index) const noexcept { return m_counts[index]; }

    bool operator==(const Histogram& other) const = default;

    // For loaders (histogram_json.h): the histogram whose state is exactly these parts, so a saved
    // histogram comes back operator== equal. `counts` is dense, kBucketCount long; the total is their
    // sum. The parts come from files, and percentiles and mean rely on min and max lying in the
    // outermost non-empty buckets, so parts no sequence of record() calls could produce are refused
    // with std::invalid_argument saying what is wrong.
    static Histogram from_parts(const std::vector<std::uint64_t>& counts, std::uint64_t overflow,
                                std::int64_t min, std::int64_t max, std::uint64_t sum);

private:
    std::vector<std::uint64_t> m_counts;
    std::uint64_t m_total = 0;
    std::uint64_t m_overflow = 0;
    // Sentinel above any recordable value, so record() and add() need no special case for the empty
    // state; min() reports 0 while empty.
    std::int64_t m_min = kMaxTrackable + 1;
    std::int64_t m_max = 0;
    std::uint64_t m_sum = 0; // overflows only after 584 years of summed RTT
};

} // namespace le
