#pragma once

// What the interval-log suites share: a run with bursts whose intervals carry their histograms, as
// the live run has them.
#include "session_file_test_support.h"

#include <functional>

struct BurstRun {
    RunHistory run{"burst run"};
    std::vector<Histogram> all, first, rest; // per interval, as recorded
};

// `intervals` intervals of 1 s ending at first_end_s, first_end_s + 1, ...; interval i holds
// count(i) lognormal values (median `median_ns`, spread sigma(i)); every `burst`-th value is a burst's
// first, the others its rest. Seeded: the same run every time.
inline BurstRun make_burst_run(int intervals, int burst, double first_end_s, double median_ns,
                               const std::function<int(int)>& count,
                               const std::function<double(int)>& sigma) {
    BurstRun b;
    auto rng = make_rng();
    for (int i = 0; i < intervals; ++i) {
        std::lognormal_distribution<double> dist(std::log(median_ns), sigma(i));
        Histogram h, f, r;
        for (int k = 0; k < count(i); ++k) {
            const auto v = std::llround(dist(rng));
            h.record(v);
            (k % burst == 0 ? f : r).record(v);
        }
        IntervalRecord rec;
        rec.t_s = first_end_s + i;
        rec.duration_s = 1;
        rec.burst = burst;
        rec.set_stats(stats_of(h));
        rec.first = stats_of(f);
        rec.rest = stats_of(r);
        rec.rtt_ns = std::make_shared<const Histogram>(h);
        rec.rtt_first_ns = std::make_shared<const Histogram>(f);
        rec.rtt_rest_ns = std::make_shared<const Histogram>(r);
        b.run.add(rec);
        b.all.push_back(h), b.first.push_back(f), b.rest.push_back(r);
    }
    return b;
}
