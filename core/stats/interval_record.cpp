#include "interval_record.h"

#include "units.h"

#include <algorithm>

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

void IntervalRecord::set_send_lag(const Histogram& lag_ns) {
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
    send_lag_p50_us = us(lag_ns.value_at_percentile(50));
    send_lag_p99_us = us(lag_ns.value_at_percentile(99));
    send_lag_max_us = us(lag_ns.max());
}

bool instrument_saturated(const IntervalRecord& r, bool open_loop) {
    if (r.target_rate == kRateInf || r.target_rate <= 0)
        return false;
    if (r.sent > 0 && r.send_lag_p50_us > 0.1 * 1e6 / r.target_rate)
        return true;
    const double expected = r.target_rate * r.duration_s;
    const bool rate_changed =
        std::any_of(r.changes.begin(), r.changes.end(), [](const ParamChange& c) { return c.key == "rate"; });
    return open_loop && r.kind == IntervalRecord::Kind::Summary && !rate_changed && expected >= 100 &&
           static_cast<double>(r.sent) < 0.98 * expected;
}

void worst_send_lag(IntervalRecord& into, const IntervalRecord& r) {
    into.send_lag_p50_us = std::max(into.send_lag_p50_us, r.send_lag_p50_us);
    into.send_lag_p99_us = std::max(into.send_lag_p99_us, r.send_lag_p99_us);
    into.send_lag_max_us = std::max(into.send_lag_max_us, r.send_lag_max_us);
    into.saturated = into.saturated || r.saturated;
}

} // namespace le
