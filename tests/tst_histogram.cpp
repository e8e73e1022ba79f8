#include "histogram.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using le::Histogram;
using Samples = std::vector<std::int64_t>;

namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kSec = 1'000'000'000;

// Fixed seed: a failing row must fail the same way on every run and machine.
std::mt19937_64 make_rng() {
    return std::mt19937_64(0x1a7e9c5eedULL);
}

// Large enough that p99.99 sits on a real rank (20 samples above it), small enough to stay fast.
constexpr std::size_t kSampleCount = 200'000;

Samples uniform_samples() {
    auto rng = make_rng();
    std::uniform_int_distribution<std::int64_t> dist(100, 100 * kSec);
    Samples s(kSampleCount);
    for (auto& v : s)
        v = dist(rng);
    return s;
}

Samples log_uniform_samples() {
    auto rng = make_rng();
    std::uniform_real_distribution<double> dist(std::log(100.0), std::log(100.0 * kSec));
    Samples s(kSampleCount);
    for (auto& v : s)
        v = std::llround(std::exp(dist(rng)));
    return s;
}

Samples lognormal_samples() {
    auto rng = make_rng();
    std::lognormal_distribution<double> dist(std::log(20.0 * kUs), 0.6);
    Samples s(kSampleCount);
    for (auto& v : s)
        v = std::llround(dist(rng));
    return s;
}

Samples two_cluster_samples() {
    auto rng = make_rng();
    std::uniform_int_distribution<std::int64_t> jitter(-50, 50);
    std::bernoulli_distribution slow(0.3);
    Samples s(kSampleCount);
    for (auto& v : s)
        v = slow(rng) ? 10 * kSec + jitter(rng) * kUs : kUs + jitter(rng);
    return s;
}

Samples outlier_samples() {
    auto rng = make_rng();
    std::uniform_int_distribution<std::int64_t> dist(5 * kUs, 6 * kUs);
    Samples s(kSampleCount);
    for (auto& v : s)
        v = dist(rng);
    s[kSampleCount / 2] = 90 * kSec;
    return s;
}

Samples power_of_two_edge_samples() {
    Samples s;
    for (int k = 0; k < Histogram::kMaxBits; ++k) {
        const std::int64_t p = std::int64_t{1} << k;
        s.insert(s.end(), {p - 1, p, p + 1});
    }
    s.push_back(Histogram::kMaxTrackable);
    return s;
}

Samples zero_one_samples() {
    Samples s(1000, 0);
    std::fill(s.begin() + 700, s.end(), 1);
    return s;
}

// Same rank rule as the contract: nearest rank ceil(p/100 * n), at least 1, with the same guard
// against 99.9/100 * 1000 landing a hair above 999.
std::int64_t exact_percentile(const Samples& sorted, double p) {
    if (sorted.empty())
        return 0;
    if (p <= 0.0)
        return sorted.front();
    if (p >= 100.0)
        return sorted.back();
    const double exact_rank = p * static_cast<double>(sorted.size()) / 100.0;
    auto rank = static_cast<std::size_t>(std::ceil(exact_rank * (1.0 - 1e-12)));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

Histogram record_all(const Samples& samples) {
    Histogram h;
    for (auto v : samples)
        h.record(v);
    return h;
}

// Independent of the implementation's bit tricks: find k by repeated doubling.
std::size_t reference_index(std::int64_t v) {
    if (v < Histogram::kSubBucketCount)
        return static_cast<std::size_t>(v);
    int k = 0;
    while ((std::int64_t{2} << k) <= v)
        ++k;
    const int shift = k - 7;
    return static_cast<std::size_t>(256 + (k - 8) * 128 + ((v >> shift) - 128));
}

const double kPercentiles[] = {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0};

} // namespace

class TestHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testLayout() {
        QCOMPARE(Histogram::kBucketCount, std::size_t{4352});
        QCOMPARE(Histogram::lowest_equivalent(0), std::int64_t{0});
        QCOMPARE(Histogram::highest_equivalent(Histogram::kBucketCount - 1), Histogram::kMaxTrackable);

        Histogram h;
        for (std::size_t i = 0; i < Histogram::kBucketCount; ++i)
            QCOMPARE(h.count_at_index(i), std::uint64_t{0});
    }

    void testBucketConsistency() {
        for (std::size_t i = 0; i < Histogram::kBucketCount; ++i) {
            const auto lo = Histogram::lowest_equivalent(i);
            const auto hi = Histogram::highest_equivalent(i);
            QVERIFY2(lo <= hi, qPrintable(QStringLiteral("bucket %1").arg(i)));
            QCOMPARE(Histogram::index_of(lo), i);
            QCOMPARE(Histogram::index_of(hi), i);
            QCOMPARE(reference_index(lo), i);
            QCOMPARE(reference_index(hi), i);
            if (i + 1 < Histogram::kBucketCount)
                QCOMPARE(Histogram::lowest_equivalent(i + 1), hi + 1); // no gaps, no overlap
            if (lo < Histogram::kSubBucketCount) {
                QCOMPARE(hi, lo); // exact region
            } else {
                const auto width = hi - lo + 1;
                QVERIFY2(
                    width * Histogram::kSubBucketHalf <= lo,
                    qPrintable(QStringLiteral("bucket %1 [%2, %3] wider than 1/128").arg(i).arg(lo).arg(hi)));
            }
        }

        // Random values anywhere in the range, checked against the spelled-out formula.
        auto rng = make_rng();
        // A random bit width first, so every magnitude is hit as often as any other.
        std::uniform_int_distribution<int> bits(1, Histogram::kMaxBits);
        for (int n = 0; n < 100'000; ++n) {
            const int width = bits(rng);
            const auto v = static_cast<std::int64_t>(rng() >> (64 - width));
            const auto i = Histogram::index_of(v);
            QCOMPARE(i, reference_index(v));
            QVERIFY(Histogram::lowest_equivalent(i) <= v);
            QVERIFY(v <= Histogram::highest_equivalent(i));
        }
    }

    void testIndexOf_data() {
        QTest::addColumn<qint64>("value");
        QTest::addColumn<qulonglong>("index");

        QTest::newRow("0") << qint64(0) << qulonglong(0);
        QTest::newRow("255") << qint64(255) << qulonglong(255);
        QTest::newRow("256") << qint64(256) << qulonglong(256);
        QTest::newRow("257 shares 256's bucket") << qint64(257) << qulonglong(256);
        QTest::newRow("258") << qint64(258) << qulonglong(257);
        QTest::newRow("511") << qint64(511) << qulonglong(383);
        QTest::newRow("512") << qint64(512) << qulonglong(384);
        QTest::newRow("1023") << qint64(1023) << qulonglong(511);
        QTest::newRow("1024") << qint64(1024) << qulonglong(512);
        QTest::newRow("kMaxTrackable")
            << qint64(Histogram::kMaxTrackable) << qulonglong(Histogram::kBucketCount - 1);
        QTest::newRow("negative clamps to 0") << qint64(-1) << qulonglong(0);
        QTest::newRow("above max clamps")
            << qint64(Histogram::kMaxTrackable + 1) << qulonglong(Histogram::kBucketCount - 1);
        QTest::newRow("int64 max clamps")
            << qint64(std::numeric_limits<qint64>::max()) << qulonglong(Histogram::kBucketCount - 1);
    }

    void testIndexOf() {
        QFETCH(qint64, value);
        QFETCH(qulonglong, index);
        QCOMPARE(qulonglong(Histogram::index_of(value)), index);
    }

    void testPercentiles_data() {
        QTest::addColumn<Samples>("samples");

        QTest::newRow("uniform 100ns..100s") << uniform_samples();
        QTest::newRow("log-uniform 100ns..100s") << log_uniform_samples();
        QTest::newRow("lognormal ~20us") << lognormal_samples();
        QTest::newRow("all identical") << Samples(1000, 123'456'789);
        QTest::newRow("two clusters 1us / 10s") << two_cluster_samples();
        QTest::newRow("one huge outlier") << outlier_samples();
        QTest::newRow("power-of-two edges") << power_of_two_edge_samples();
        QTest::newRow("zeros and ones") << zero_one_samples();
        QTest::newRow("single sample") << Samples{42'000};
        QTest::newRow("max trackable only") << Samples(10, Histogram::kMaxTrackable);
    }

    void testPercentiles() {
        QFETCH(Samples, samples);

        const Histogram h = record_all(samples);
        Samples sorted = samples;
        std::sort(sorted.begin(), sorted.end());

        QCOMPARE(h.count(), std::uint64_t(samples.size()));
        QCOMPARE(h.overflow_count(), std::uint64_t{0});
        QVERIFY(!h.empty());
        QCOMPARE(h.min(), sorted.front());
        QCOMPARE(h.max(), sorted.back());
        const auto sum = std::accumulate(sorted.begin(), sorted.end(), std::uint64_t{0});
        QCOMPARE(h.mean(), double(sum) / double(sorted.size()));

        std::uint64_t bucketed = 0;
        for (std::size_t i = 0; i < Histogram::kBucketCount; ++i)
            bucketed += h.count_at_index(i);
        QCOMPARE(bucketed, h.count());

        for (double p : kPercentiles) {
            const auto exact = exact_percentile(sorted, p);
            const auto got = h.value_at_percentile(p);
            const auto msg = QStringLiteral("p%1: histogram %2, exact %3").arg(p).arg(got).arg(exact);
            // The reported value is the top of the bucket holding the exact sample, so it never
            // undershoots (stricter than the 1% floor) and overshoots by at most one bucket width.
            QVERIFY2(got >= exact, qPrintable(msg));
            QVERIFY2(double(got - exact) <= 0.01 * double(exact), qPrintable(msg));
            QVERIFY2(got >= h.min() && got <= h.max(), qPrintable(msg));
        }
        QCOMPARE(h.value_at_percentile(0.0), h.min());
        QCOMPARE(h.value_at_percentile(-5.0), h.min());
        QCOMPARE(h.value_at_percentile(100.0), h.max());
        QCOMPARE(h.value_at_percentile(250.0), h.max());
    }

    // Samples 1..n all sit in the exact region, so the returned value is the rank itself and any
    // rounding slip in ceil(p/100 * n) shows up as an off-by-one.
    void testNearestRank_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<double>("p");
        QTest::addColumn<qint64>("expected");

        QTest::newRow("median of 10") << 10 << 50.0 << qint64(5);
        QTest::newRow("just above median of 10") << 10 << 51.0 << qint64(6);
        QTest::newRow("tiny p is rank 1") << 10 << 0.0001 << qint64(1);
        QTest::newRow("33.33% of 3 is rank 1") << 3 << 33.33 << qint64(1);
        QTest::newRow("33.34% of 3 is rank 2") << 3 << 33.34 << qint64(2);
        QTest::newRow("99.99% of 250 is the max") << 250 << 99.99 << qint64(250);
        // 64.4 * 250 / 100 evaluates to 161.00000000000003 in doubles; the exact rank is 161.
        QTest::newRow("64.4% of 250, float noise") << 250 << 64.4 << qint64(161);
    }

    void testNearestRank() {
        QFETCH(int, n);
        QFETCH(double, p);
        QFETCH(qint64, expected);

        Histogram h;
        for (int v = 1; v <= n; ++v)
            h.record(v);
        QCOMPARE(h.value_at_percentile(p), expected);
    }

    // 99.9 / 100 * 1000 evaluates to 999.0000000000001, which a naive ceil() turns into rank 1000.
    void testNearestRankLargeCount() {
        Histogram h;
        h.record_n(1, 999);
        h.record(2);
        QCOMPARE(h.value_at_percentile(99.9), std::int64_t{1});
        QCOMPARE(h.value_at_percentile(99.91), std::int64_t{2});
    }

    void testEmpty() {
        const Histogram h;
        QVERIFY(h.empty());
        QCOMPARE(h.count(), std::uint64_t{0});
        QCOMPARE(h.overflow_count(), std::uint64_t{0});
        QCOMPARE(h.min(), std::int64_t{0});
        QCOMPARE(h.max(), std::int64_t{0});
        QCOMPARE(h.mean(), 0.0);
        for (double p : kPercentiles)
            QCOMPARE(h.value_at_percentile(p), std::int64_t{0});
    }

    void testClamping() {
        Histogram h;
        h.record(Histogram::kMaxTrackable + 1);
        h.record(std::numeric_limits<std::int64_t>::max());
        h.record(Histogram::kMaxTrackable); // at the limit: clamped to itself, not an overflow
        h.record(-7);

        QCOMPARE(h.count(), std::uint64_t{4});
        QCOMPARE(h.overflow_count(), std::uint64_t{2});
        QCOMPARE(h.min(), std::int64_t{0});
        QCOMPARE(h.max(), Histogram::kMaxTrackable);
        QCOMPARE(h.count_at_index(0), std::uint64_t{1});
        QCOMPARE(h.count_at_index(Histogram::kBucketCount - 1), std::uint64_t{3});
        QCOMPARE(h.value_at_percentile(100.0), Histogram::kMaxTrackable);
        QCOMPARE(h.value_at_percentile(50.0), Histogram::kMaxTrackable);
        QCOMPARE(h.value_at_percentile(25.0), std::int64_t{0});
        QCOMPARE(h.mean(), 3.0 * double(Histogram::kMaxTrackable) / 4.0);
    }

    void testRecordN() {
        Histogram one_by_one;
        Histogram batched;
        for (int i = 0; i < 5; ++i)
            one_by_one.record(777'777);
        for (int i = 0; i < 3; ++i)
            one_by_one.record(Histogram::kMaxTrackable + 5);
        batched.record_n(777'777, 5);
        batched.record_n(Histogram::kMaxTrackable + 5, 3);
        QVERIFY(batched == one_by_one);
        QCOMPARE(batched.overflow_count(), std::uint64_t{3});

        Histogram nothing;
        nothing.record_n(12345, 0);
        QVERIFY(nothing == Histogram());
        QCOMPARE(nothing.min(), std::int64_t{0});
    }

    void testAdd_data() {
        QTest::addColumn<Samples>("samples");
        QTest::addColumn<int>("split"); // first `split` samples go to a, the rest to b

        const Samples lognormal = lognormal_samples();
        QTest::newRow("lognormal halves") << lognormal << int(lognormal.size() / 2);
        QTest::newRow("two clusters, uneven") << two_cluster_samples() << 17;
        QTest::newRow("empty + all") << Samples{5, 50'000, 5'000'000} << 0;
        QTest::newRow("all + empty") << Samples{5, 50'000, 5'000'000} << 3;
        QTest::newRow("empty + empty") << Samples{} << 0;
        QTest::newRow("overflow on both sides")
            << Samples{1, Histogram::kMaxTrackable + 1, 300, Histogram::kMaxTrackable + 9, -4} << 2;
    }

    void testAdd() {
        QFETCH(Samples, samples);
        QFETCH(int, split);

        const Histogram all = record_all(samples);
        Histogram a = record_all(Samples(samples.begin(), samples.begin() + split));
        const Histogram b = record_all(Samples(samples.begin() + split, samples.end()));
        a.add(b);

        QVERIFY(a == all);
        QCOMPARE(a.count(), all.count());
        QCOMPARE(a.overflow_count(), all.overflow_count());
        QCOMPARE(a.min(), all.min());
        QCOMPARE(a.max(), all.max());
        QCOMPARE(a.mean(), all.mean());
        for (double p : kPercentiles)
            QCOMPARE(a.value_at_percentile(p), all.value_at_percentile(p));
    }

    void testReset() {
        Histogram h = record_all(two_cluster_samples());
        h.record(Histogram::kMaxTrackable + 1);
        QVERIFY(!h.empty());

        h.reset();
        QVERIFY(h == Histogram());
        QVERIFY(h.empty());
        QCOMPARE(h.overflow_count(), std::uint64_t{0});
        QCOMPARE(h.min(), std::int64_t{0});
        QCOMPARE(h.max(), std::int64_t{0});
        QCOMPARE(h.mean(), 0.0);
        QCOMPARE(h.value_at_percentile(50.0), std::int64_t{0});

        // A reset histogram must behave like a fresh one, in particular min must not stick at 0.
        h.record(9'000);
        QCOMPARE(h.min(), std::int64_t{9'000});
        QCOMPARE(h.max(), std::int64_t{9'000});
    }
};

QTEST_APPLESS_MAIN(TestHistogram)

#include "tst_histogram.moc"
