#pragma once

#include "histogram.h"
#include "sparse_histogram.h"

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>

namespace le {

// The rule every percentile shown over time follows: a percentile means something only when at
// least kMinSamplesAbove samples lie above it. Per ~33 ms interval at 1k msg/s (33 samples) p99 and
// p99.9 would just be the maximum; merged over a sliding window they are real.
inline constexpr std::uint64_t kMinSamplesAbove = 10;

// The percentiles the curves draw besides the maximum, body to tail.
inline constexpr std::array<double, 4> kCurvePercentiles = {50, 90, 99, 99.9};

// How many of `samples` lie above the nearest-rank percentile `p` (the rank Histogram uses).
// p >= 100 (the maximum) counts as having samples above whenever there are samples.
std::uint64_t samples_above(std::uint64_t samples, double p);
// True when percentile `p` of `samples` samples may be drawn (the maximum: when there is a sample).
bool percentile_drawn(std::uint64_t samples, double p);
// The fewest samples for which `p` is drawn: 20 for p50, 100 for p90, 1000 for p99, 10000 for p99.9.
std::uint64_t samples_needed(double p);
// Why `p` is not drawn at `rate` msg/s: "p99.9: needs ≥ 10 s window at 1k msg/s". `p` as its
// label ("p99.9"). A rate <= 0 (nothing flowing) gives "p99.9: needs ≥ 10000 samples".
std::string why_not_drawn(double p, double rate);
// "p50", "p99.9".
std::string percentile_label(double p);

// One step of the curves over time: the percentiles of the window ending at t_s, NaN where the
// window does not hold enough samples (the curve has a gap there) or where there is no data at all
// (a gap point: every value NaN, samples 0).
struct CurvePoint {
    static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    double t_s = 0;
    double window_s = 0;       // time the window actually covered
    std::uint64_t samples = 0; // samples in it
    double p50_us = kNone, p90_us = kNone, p99_us = kNone, p999_us = kNone, max_us = kNone;

    bool gap() const { return samples == 0; }
    // Value `i` in the order p50, p90, p99, p99.9, max.
    double value(std::size_t i) const;
};
inline constexpr std::size_t kCurveValues = 5;

// The point for a window holding `h`, ending at `t_s` and covering `window_s`: every value drawn
// by the rule above, the others NaN.
CurvePoint curve_point(const Histogram& h, double t_s, double window_s);
// A point with no data at `t_s`: where a run stopped, so no line joins across.
CurvePoint gap_point(double t_s);

// Interval histograms merged over the last `span_s` seconds, stepped once per interval. Keeps the
// window's intervals as sparse histograms and one dense sum, so a step costs the buckets of the
// intervals entering and leaving, plus one dense copy for merged().
class SlidingWindow {
public:
    explicit SlidingWindow(double span_s = 1.0);

    // The span from the next add() on (at least 1 ms).
    void set_span(double span_s);
    double span() const { return m_span; }
    // Adds the interval that ended at `t_end_s` and lasted `duration_s`, then drops the oldest
    // intervals the window does not need to cover the span (an interval longer than the span stays
    // alone). Intervals are consecutive: a pause in between calls for clear().
    void add(double t_end_s, double duration_s, std::shared_ptr<const SparseHistogram> h);
    void clear();

    // The intervals in the window merged: exact, operator== equal to adding their histograms.
    const Histogram& merged() const { return m_merged; }
    // Time covered by the intervals in the window.
    double covered_s() const { return m_covered; }

private:
    struct Entry {
        double t_end, duration;
        std::shared_ptr<const SparseHistogram> h;
    };
    void rebuild_merged();

    double m_span;
    std::deque<Entry> m_entries;
    std::vector<std::uint64_t> m_counts;
    std::uint64_t m_overflow = 0, m_sum = 0;
    double m_covered = 0;
    Histogram m_merged;
};

} // namespace le
