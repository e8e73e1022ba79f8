// The window rule (rate × window × percentile → drawn or not), the sliding window's exactness, and
// RunHistory's compaction: bounded records that keep the whole-run histogram and the visible
// curves identical to a history that keeps everything.
#include "hdr_log.h"
#include "hlog_run.h"
#include "run_history.h"
#include "sparse_histogram.h"
#include "windowed_percentiles.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

using le::CurvePoint;
using le::Histogram;
using le::IntervalRecord;
using le::RunHistory;

namespace {

constexpr double kInterval = 1.0 / 30; // the window's record interval

// Interval k of a run at `rate` msg/s: exactly the messages due in it (so a second holds `rate`),
// lognormal RTTs around 30 µs with a tail, and the statistics the core would stamp.
IntervalRecord intervalAt(std::size_t k, double rate, std::mt19937_64& rng) {
    const auto due = [&](std::size_t i) {
        return static_cast<std::uint64_t>(std::floor(i * kInterval * rate + 1e-9));
    };
    const std::uint64_t n = due(k + 1) - due(k);
    std::lognormal_distribution<double> rtt(std::log(30'000.0), 0.6);
    Histogram h;
    for (std::uint64_t i = 0; i < n; ++i)
        h.record(std::llround(rtt(rng)));
    IntervalRecord r;
    r.t_s = static_cast<double>(k + 1) * kInterval;
    r.duration_s = kInterval;
    r.target_rate = rate;
    r.achieved_rate = static_cast<double>(n) / kInterval;
    r.sent = r.received = n;
    r.bytes = n * 64;
    r.payload = 64;
    r.set_stats(le::stats_of(h));
    r.rtt_ns = std::make_shared<Histogram>(h);
    if (k % 97 == 5)
        r.changes.push_back({r.t_s, "rate", "1k"});
    return r;
}

std::size_t valueIndex(double p) {
    for (std::size_t i = 0; i < le::kCurvePercentiles.size(); ++i)
        if (le::kCurvePercentiles[i] == p)
            return i;
    return le::kCurveValues - 1; // the maximum
}

// As intervalAt, with bursts of 2: every other round trip is a burst's first, and both parts carry
// their histograms, as the live run's records do.
IntervalRecord burstIntervalAt(std::size_t k, double rate, std::mt19937_64& rng) {
    IntervalRecord r = intervalAt(k, rate, rng);
    std::lognormal_distribution<double> rtt(std::log(30'000.0), 0.6);
    Histogram h, first, rest;
    for (std::uint64_t i = 0; i < r.received; ++i) {
        const auto v = std::llround(rtt(rng));
        h.record(v);
        (i % 2 == 0 ? first : rest).record(v);
    }
    r.burst = 2;
    r.set_stats(le::stats_of(h));
    r.first = le::stats_of(first);
    r.rest = le::stats_of(rest);
    r.rtt_ns = std::make_shared<Histogram>(h);
    r.rtt_first_ns = std::make_shared<Histogram>(first);
    r.rtt_rest_ns = std::make_shared<Histogram>(rest);
    return r;
}

// Bucket for bucket: a histogram read back from a log keeps its min and max only to the bucket.
bool sameBuckets(const Histogram& a, const Histogram& b) {
    if (a.count() != b.count())
        return false;
    for (std::size_t i = 0; i < Histogram::kBucketCount; ++i)
        if (a.count_at_index(i) != b.count_at_index(i))
            return false;
    return true;
}

} // namespace

class TestWindowedPercentiles : public QObject {
    Q_OBJECT
private slots:
    void samplesNeeded();
    void windowRule_data();
    void windowRule();
    void whyNotDrawn();
    void slidingWindowIsExact();
    void sparseRoundTrip();
    void compactionKeepsWholeRunAndVisibleCurves();
    void breakLeavesAGap();
    void compactedRunExportsAnExactIntervalLog();
};

void TestWindowedPercentiles::samplesNeeded() {
    QCOMPARE(le::samples_needed(50), std::uint64_t{20});
    QCOMPARE(le::samples_needed(90), std::uint64_t{100});
    QCOMPARE(le::samples_needed(99), std::uint64_t{1000});
    QCOMPARE(le::samples_needed(99.9), std::uint64_t{10000});
    QCOMPARE(le::samples_needed(100), std::uint64_t{1});
    QVERIFY(le::percentile_drawn(1000, 99));
    QVERIFY(!le::percentile_drawn(999, 99));
    QCOMPARE(le::samples_above(1000, 99.9), std::uint64_t{1}); // p / 100 inexact: still rank 999
}

void TestWindowedPercentiles::windowRule_data() {
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("window");
    QTest::addColumn<double>("p");
    QTest::addColumn<bool>("drawn");
    const struct {
        double rate, window, p;
        bool drawn;
    } rows[] = {
        {1000, 1, 50, true},    {1000, 1, 90, true},       {1000, 1, 99, true},    {1000, 1, 99.9, false},
        {1000, 1, 100, true},   {1000, 10, 99.9, true},    {1000, 5, 99.9, false}, {1000, 0.1, 90, true},
        {1000, 0.1, 99, false}, {100, 1, 90, true},        {100, 1, 99, false},    {100, 10, 99, true},
        {10000, 0.1, 99, true}, {10000, 0.1, 99.9, false}, {10000, 1, 99.9, true}, {30, 1, 50, true},
        {30, 1, 90, false},     {10, 1, 50, false},        {10, 2, 50, true},      {10, 0.1, 100, true},
    };
    for (const auto& r : rows)
        QTest::addRow("%g/s %g s p%g", r.rate, r.window, r.p) << r.rate << r.window << r.p << r.drawn;
}

void TestWindowedPercentiles::windowRule() {
    QFETCH(double, rate);
    QFETCH(double, window);
    QFETCH(double, p);
    QFETCH(bool, drawn);
    std::mt19937_64 rng(7);
    RunHistory run("live", window);
    // Twice the window, so the newest points' windows are full.
    const auto intervals = static_cast<std::size_t>(std::ceil(2 * window / kInterval)) + 3;
    for (std::size_t k = 0; k < intervals; ++k)
        run.add(intervalAt(k, rate, rng));
    const CurvePoint& newest = run.curve().back();
    QVERIFY2(newest.window_s >= window - 1e-9, "a full window covers at least its span");
    QVERIFY(newest.window_s < window + kInterval + 1e-9);
    QCOMPARE(newest.samples, run.window().count());
    const double v = newest.value(valueIndex(p));
    QCOMPARE(!std::isnan(v), drawn);
    if (drawn) // what is drawn is the window's own percentile
        QCOMPARE(v, static_cast<double>(p >= 100 ? run.window().max() : run.window().value_at_percentile(p)) /
                        1e3);
    // The rule in terms of samples, which is what the legend explains.
    QCOMPARE(le::percentile_drawn(newest.samples, p), drawn);
}

void TestWindowedPercentiles::whyNotDrawn() {
    QCOMPARE(le::why_not_drawn(99.9, 1000), std::string("p99.9: needs ≥ 10 s window at 1k msg/s"));
    QCOMPARE(le::why_not_drawn(99, 1000), std::string("p99: needs ≥ 1 s window at 1k msg/s"));
    QCOMPARE(le::why_not_drawn(99, 100), std::string("p99: needs ≥ 10 s window at 100 msg/s"));
    QCOMPARE(le::why_not_drawn(99.9, 0), std::string("p99.9: needs ≥ 10000 samples"));
    // Just short of the samples: the window it needs, rounded up, not "1 s" again.
    QCOMPARE(le::why_not_drawn(99, 996), std::string("p99: needs ≥ 1.01 s window at 996 msg/s"));
    QCOMPARE(le::why_not_drawn(90, 2000), std::string("p90: needs ≥ 50 ms window at 2k msg/s"));
}

void TestWindowedPercentiles::slidingWindowIsExact() {
    std::mt19937_64 rng(3);
    le::SlidingWindow window(0.5);
    std::vector<Histogram> all;
    for (std::size_t k = 0; k < 100; ++k) {
        const IntervalRecord r = intervalAt(k, 5000, rng);
        all.push_back(*r.rtt_ns);
        window.add(r.t_s, r.duration_s,
                   std::make_shared<le::SparseHistogram>(le::SparseHistogram::of(*r.rtt_ns)));
        // 15 intervals of 1/30 s cover 0.5 s exactly (up to rounding: 15 or 16).
        Histogram expected;
        const double covered = window.covered_s();
        const auto n = static_cast<std::size_t>(std::llround(covered / kInterval));
        QVERIFY(n == std::min<std::size_t>(k + 1, 15) || n == std::min<std::size_t>(k + 1, 16));
        for (std::size_t i = all.size() - n; i < all.size(); ++i)
            expected.add(all[i]);
        QVERIFY(window.merged() == expected);
    }
    window.clear();
    QVERIFY(window.merged().empty());
    QCOMPARE(window.covered_s(), 0.0);
}

void TestWindowedPercentiles::sparseRoundTrip() {
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> rtt(std::log(50'000.0), 1.5);
    Histogram h;
    for (int i = 0; i < 50'000; ++i)
        h.record(std::llround(rtt(rng)));
    h.record(Histogram::kMaxTrackable + 5); // overflow too
    const le::SparseHistogram s = le::SparseHistogram::of(h);
    QVERIFY(s.buckets.size() < Histogram::kBucketCount / 2);
    QVERIFY(s.dense() == h);
    le::SparseHistogram twice = s;
    twice.add(s);
    Histogram h2 = h;
    h2.add(h);
    QVERIFY(twice.dense() == h2);
    QVERIFY(le::SparseHistogram::of(Histogram()).dense() == Histogram());
}

void TestWindowedPercentiles::compactionKeepsWholeRunAndVisibleCurves() {
    // Two histories fed the same 3 minutes at 2k msg/s: one compacting beyond 20 s, one keeping all.
    RunHistory compacting("live", 1.0), full("live", 1.0);
    compacting.set_detail_span(20);
    full.set_detail_span(1e9);
    std::mt19937_64 rng(5);
    const std::size_t n = 180 * 30;
    for (std::size_t k = 0; k < n; ++k) {
        const IntervalRecord r = intervalAt(k, 2000, rng);
        compacting.add(r);
        full.add(r);
    }
    QVERIFY(compacting.whole_run() == full.whole_run());
    QVERIFY(compacting.window() == full.window());
    QCOMPARE(full.intervals().size(), n);
    QCOMPARE(full.compacted(), std::size_t{0});
    // 20 s of detail (600 records), up to a second not yet merged, and one record per older second.
    QVERIFY2(compacting.intervals().size() <= 600 + 30 + 160 + 2,
             qPrintable(QString::number(compacting.intervals().size())));
    QVERIFY(compacting.compacted() >= 155);
    QVERIFY(compacting.curve().size() <= 600 + 30 + 160 + 2);
    QCOMPARE(compacting.totals().sent, full.totals().sent);
    QCOMPARE(compacting.totals().bytes, full.totals().bytes);
    QCOMPARE(compacting.changes().size(), full.changes().size());

    // Every record's counts survive; a compacted one holds the exact stats of its merged second.
    std::uint64_t sent = 0;
    double duration = 0;
    for (const auto& r : compacting.intervals()) {
        sent += r.sent;
        duration += r.duration_s;
    }
    QCOMPARE(sent, full.totals().sent);
    QVERIFY(std::abs(duration - n * kInterval) < 1e-6);
    const IntervalRecord& first = compacting.intervals().front();
    QVERIFY(std::abs(first.duration_s - 1.0) < 1e-6);
    QCOMPARE(first.sent, std::uint64_t{2000}); // 30 intervals of 1/30 s at 2k msg/s

    // The visible window (the last 20 s): the same points, value for value.
    const double newest = full.curve().back().t_s;
    std::vector<CurvePoint> a, b;
    for (const auto& p : compacting.curve())
        if (p.t_s >= newest - 20)
            a.push_back(p);
    for (const auto& p : full.curve())
        if (p.t_s >= newest - 20)
            b.push_back(p);
    QCOMPARE(a.size(), b.size());
    QVERIFY(a.size() >= 599);
    for (std::size_t i = 0; i < a.size(); ++i) {
        QCOMPARE(a[i].t_s, b[i].t_s);
        QCOMPARE(a[i].samples, b[i].samples);
        for (std::size_t c = 0; c < le::kCurveValues; ++c)
            QVERIFY(a[i].value(c) == b[i].value(c) ||
                    (std::isnan(a[i].value(c)) && std::isnan(b[i].value(c))));
    }
    // Older seconds keep the point that ends each: the full history's point at the same time.
    for (const auto& p : compacting.curve()) {
        if (p.t_s >= newest - 20)
            break;
        const auto same = std::find_if(full.curve().begin(), full.curve().end(),
                                       [&](const CurvePoint& q) { return q.t_s == p.t_s; });
        QVERIFY(same != full.curve().end());
        QCOMPARE(same->p99_us, p.p99_us);
    }
}

void TestWindowedPercentiles::breakLeavesAGap() {
    std::mt19937_64 rng(9);
    RunHistory run("live", 1.0);
    for (std::size_t k = 0; k < 60; ++k)
        run.add(intervalAt(k, 1000, rng));
    run.add_marker(2.0, "stop", "stop");
    run.break_at(2.0);
    QVERIFY(run.curve().back().gap());
    IntervalRecord after = intervalAt(60, 1000, rng);
    run.add(after);
    // A fresh window: only the interval after the break.
    QCOMPARE(run.curve().back().samples, after.received);
    QCOMPARE(run.markers().size(), std::size_t{1});
    QCOMPARE(run.markers().front().value, std::string("stop"));
}

void TestWindowedPercentiles::compactedRunExportsAnExactIntervalLog() {
    // 40 s of bursts at 1k msg/s in two sessions (a restart at 15 s), 10 s of detail: the interval
    // log written afterwards holds one row per record, each the exact merge of the intervals it
    // replaced, and the sessions' segments still point at their own records.
    RunHistory run("live", 1.0);
    run.set_detail_span(10);
    std::mt19937_64 rng(11);
    std::vector<IntervalRecord> added; // with their histograms
    IntervalRecord summary;
    summary.kind = IntervalRecord::Kind::Summary;
    std::vector<std::uint64_t> sessionReceived(2, 0);
    for (std::size_t k = 0; k < 40 * 30; ++k) {
        if (k == 15 * 30 + 7) { // mid-second: the session's last group is short
            summary.received = sessionReceived[0];
            run.add(summary);
        }
        added.push_back(burstIntervalAt(k, 1000, rng));
        sessionReceived[k < 15 * 30 + 7 ? 0 : 1] += added.back().received;
        run.add(added.back());
    }
    summary.received = sessionReceived[1];
    run.add(summary);
    QVERIFY(run.compacted() >= 25);

    const auto& records = run.intervals();
    QCOMPARE(run.encoded_histograms().size(), records.size());
    QCOMPARE(run.segments().size(), std::size_t{2});
    QCOMPARE(run.segments()[0].first, std::size_t{0});
    QCOMPARE(run.segments()[1].first, run.segments()[0].end);
    QCOMPARE(run.segments()[1].end, records.size());
    for (std::size_t s = 0; s < 2; ++s) {
        std::uint64_t received = 0;
        for (std::size_t i = run.segments()[s].first; i < run.segments()[s].end; ++i)
            received += records[i].received;
        QCOMPARE(received, sessionReceived[s]);
        QCOMPARE(run.segments()[s].summary.received, sessionReceived[s]);
    }

    const le::HdrLog log = le::parse_hlog(le::hlog_from_run(run, 0), "compacted");
    std::vector<const le::HdrLogInterval*> rows, firsts, rests;
    for (const auto& row : log.intervals)
        (row.tag.empty() ? rows : row.tag == "first" ? firsts : rests).push_back(&row);
    QCOMPARE(rows.size(), records.size());
    QCOMPARE(firsts.size(), records.size());
    QCOMPARE(rests.size(), records.size());
    Histogram total, totalFirst, totalRest;
    std::size_t next = 0; // the first added interval not yet in a row
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QVERIFY(std::abs(rows[i]->length_s - records[i].duration_s) < 1e-3);
        // The row is the exact merge of the intervals its record stands for.
        Histogram all, first, rest;
        std::uint64_t received = 0;
        while (next < added.size() && added[next].t_s <= records[i].t_s + 1e-9) {
            all.add(*added[next].rtt_ns);
            first.add(*added[next].rtt_first_ns);
            rest.add(*added[next].rtt_rest_ns);
            received += added[next].received;
            ++next;
        }
        QCOMPARE(records[i].received, received);
        QVERIFY2(sameBuckets(rows[i]->histogram, all), qPrintable(QString("row %1").arg(i)));
        QVERIFY(sameBuckets(firsts[i]->histogram, first));
        QVERIFY(sameBuckets(rests[i]->histogram, rest));
        QCOMPARE(records[i].first.p50_us, le::stats_of(first).p50_us);
        total.add(rows[i]->histogram);
        totalFirst.add(firsts[i]->histogram);
        totalRest.add(rests[i]->histogram);
    }
    QCOMPARE(next, added.size());
    QCOMPARE(total.count(), run.whole_run().count());
    QCOMPARE(total.count(), run.totals().received);
    QVERIFY(sameBuckets(total, run.whole_run()));
    QVERIFY(sameBuckets(totalFirst, run.whole_first()));
    QVERIFY(sameBuckets(totalRest, run.whole_rest()));
}

QTEST_GUILESS_MAIN(TestWindowedPercentiles)

#include "tst_windowed_percentiles.moc"
