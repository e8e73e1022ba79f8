#include "windowed_percentiles.h"

#include "units.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace le {

std::uint64_t samples_above(std::uint64_t samples, double p) {
    if (samples == 0)
        return 0;
    if (p >= 100.0)
        return samples;
    // The rank Histogram::value_at_percentile uses, with the same shave for inexact p / 100.
    const double exact_rank = p * static_cast<double>(samples) / 100.0;
    const auto rank = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::ceil(exact_rank * (1.0 - 1e-12))), 1, samples);
    return samples - rank;
}

bool percentile_drawn(std::uint64_t samples, double p) {
    return p >= 100.0 ? samples > 0 : samples_above(samples, p) >= kMinSamplesAbove;
}

std::uint64_t samples_needed(double p) {
    if (p >= 100.0)
        return 1;
    auto n =
        static_cast<std::uint64_t>(std::floor(static_cast<double>(kMinSamplesAbove) / (1.0 - p / 100.0)));
    n = n > 2 ? n - 2 : 1; // the formula is within a sample or two of the rank arithmetic
    while (!percentile_drawn(n, p))
        ++n;
    return n;
}

std::string percentile_label(double p) {
    return p >= 100.0 ? std::string("max") : fmt::format("p{}", p);
}

namespace {

// A window length rounded up, so "needs ≥" never promises too little: "100 ms", "1.01 s", "10 s".
std::string window_length(double seconds) {
    if (seconds < 1.0)
        return fmt::format("{} ms", std::ceil(seconds * 1e3 - 1e-9));
    const double scale = seconds < 10 ? 100 : seconds < 100 ? 10 : 1;
    return fmt::format("{} s", std::ceil(seconds * scale - 1e-9) / scale);
}

} // namespace

std::string why_not_drawn(double p, double rate) {
    const std::uint64_t needed = samples_needed(p);
    if (!(rate > 0))
        return fmt::format("{}: needs ≥ {} samples", percentile_label(p), needed);
    return fmt::format("{}: needs ≥ {} window at {} msg/s", percentile_label(p),
                       window_length(static_cast<double>(needed) / rate), format_rate(std::round(rate)));
}

double CurvePoint::value(std::size_t i) const {
    switch (i) {
    case 0:
        return p50_us;
    case 1:
        return p90_us;
    case 2:
        return p99_us;
    case 3:
        return p999_us;
    default:
        return max_us;
    }
}

CurvePoint curve_point(const Histogram& h, double t_s, double window_s) {
    CurvePoint c;
    c.t_s = t_s;
    c.window_s = window_s;
    c.samples = h.count();
    const auto at = [&](double p) {
        return percentile_drawn(c.samples, p) ? static_cast<double>(h.value_at_percentile(p)) / 1e3
                                              : CurvePoint::kNone;
    };
    c.p50_us = at(kCurvePercentiles[0]);
    c.p90_us = at(kCurvePercentiles[1]);
    c.p99_us = at(kCurvePercentiles[2]);
    c.p999_us = at(kCurvePercentiles[3]);
    c.max_us = c.samples > 0 ? static_cast<double>(h.max()) / 1e3 : CurvePoint::kNone;
    return c;
}

CurvePoint gap_point(double t_s) {
    CurvePoint c;
    c.t_s = t_s;
    return c;
}

SlidingWindow::SlidingWindow(double span_s)
    : m_span(std::max(0.001, span_s))
    , m_counts(Histogram::kBucketCount, 0) {}

void SlidingWindow::set_span(double span_s) {
    m_span = std::max(0.001, span_s);
}

void SlidingWindow::add(double t_end_s, double duration_s, std::shared_ptr<const SparseHistogram> h) {
    h->apply_to(m_counts, +1);
    m_overflow += h->overflow;
    m_sum += h->sum;
    m_covered += duration_s;
    m_entries.push_back({t_end_s, duration_s, std::move(h)});
    // The window is the fewest newest intervals that cover at least the span: "the last 1 s" then
    // holds at least a second of samples (1,000 at 1k msg/s, the least for p99), never 0.97 s of them.
    while (m_entries.size() > 1 && m_covered - m_entries.front().duration >= m_span - 1e-9) {
        const Entry& old = m_entries.front();
        old.h->apply_to(m_counts, -1);
        m_overflow -= old.h->overflow;
        m_sum -= old.h->sum;
        m_covered -= old.duration;
        m_entries.pop_front();
    }
    rebuild_merged();
}

void SlidingWindow::clear() {
    m_entries.clear();
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_overflow = m_sum = 0;
    m_covered = 0;
    m_merged.reset();
}

void SlidingWindow::rebuild_merged() {
    std::int64_t lo = Histogram::kMaxTrackable, hi = 0;
    bool any = false;
    for (const Entry& e : m_entries) {
        if (e.h->empty())
            continue;
        any = true;
        lo = std::min(lo, e.h->min);
        hi = std::max(hi, e.h->max);
    }
    m_merged = any ? Histogram::from_parts(m_counts, m_overflow, lo, hi, m_sum) : Histogram();
}

} // namespace le
