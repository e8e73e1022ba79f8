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

} // namespace le
