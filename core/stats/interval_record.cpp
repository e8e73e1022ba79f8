#include "interval_record.h"

namespace le {

RttStats stats_of(const Histogram& h) {
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
    RttStats s;
    s.count = h.count();
    s.min_us = us(h.min());
    s.mean_us = h.mean() / 1e3;
    s.p50_us = us(h.value_at_percentile(50));
    s.p90_us = us(h.value_at_percentile(90));
    s.p99_us = us(h.value_at_percentile(99));
    s.p999_us = us(h.value_at_percentile(99.9));
    s.p9999_us = us(h.value_at_percentile(99.99));
    s.max_us = us(h.max());
    return s;
}

void IntervalRecord::set_stats(const RttStats& s) {
    min_us = s.min_us;
    mean_us = s.mean_us;
    p50_us = s.p50_us;
    p90_us = s.p90_us;
    p99_us = s.p99_us;
    p999_us = s.p999_us;
    p9999_us = s.p9999_us;
    max_us = s.max_us;
}

} // namespace le
