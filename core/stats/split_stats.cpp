#include "split_stats.h"

#include <algorithm>

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

void set_peer_side(SplitStats& s, const Histogram& pong) {
    s.pong = part_stats_of(pong);
    const auto less = [](double a, double b) { return std::max(0.0, a - b); };
    s.network.count = s.wire.count;
    s.network.mean_us = less(s.wire.mean_us, s.pong.mean_us);
    s.network.p50_us = less(s.wire.p50_us, s.pong.p50_us);
    s.network.p90_us = less(s.wire.p90_us, s.pong.p90_us);
    s.network.p99_us = less(s.wire.p99_us, s.pong.p99_us);
    s.network.max_us = s.wire.max_us;
}

namespace {

PartStats merged(const PartStats& a, const PartStats& b) {
    PartStats m;
    m.count = a.count + b.count;
    m.mean_us = m.count
                    ? (a.mean_us * static_cast<double>(a.count) + b.mean_us * static_cast<double>(b.count)) /
                          static_cast<double>(m.count)
                    : 0;
    m.p50_us = std::max(a.p50_us, b.p50_us);
    m.p90_us = std::max(a.p90_us, b.p90_us);
    m.p99_us = std::max(a.p99_us, b.p99_us);
    m.max_us = std::max(a.max_us, b.max_us);
    return m;
}

} // namespace

SplitStats merged(const SplitStats& a, const SplitStats& b) {
    SplitStats m;
    m.send = merged(a.send, b.send);
    m.wire = merged(a.wire, b.wire);
    m.wake = merged(a.wake, b.wake);
    m.pong = merged(a.pong, b.pong);
    m.network = merged(a.network, b.network);
    m.unstamped = a.unstamped + b.unstamped;
    m.discarded = a.discarded + b.discarded;
    return m;
}

} // namespace le
