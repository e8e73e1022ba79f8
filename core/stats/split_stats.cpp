#include "split_stats.h"

namespace le {

PartStats part_stats_of(const Histogram& h) {
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
    PartStats s;
    s.count = h.count();
    s.mean_us = h.mean() / 1e3;
    s.p50_us = us(h.value_at_percentile(50));
    s.p90_us = us(h.value_at_percentile(90));
    s.p99_us = us(h.value_at_percentile(99));
    s.max_us = us(h.max());
    return s;
}

SplitStats split_stats_of(const SplitData& d) {
    SplitStats s;
    s.send = part_stats_of(d.send);
    s.wire = part_stats_of(d.wire);
    s.wake = part_stats_of(d.wake);
    s.unstamped = d.unstamped;
    s.discarded = d.discarded;
    return s;
}

} // namespace le
