#include "histogram.h"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr double kTargetNsPerRecord = 5.0;

// 16 Ki values (128 KiB) cycle through L2 without the RNG or a cache-missing stream dominating the
// measurement; the histogram's hot buckets stay in L1 as they would in a real run.
constexpr std::size_t kValueCount = std::size_t{1} << 14;

// Realistic RTTs: lognormal around 20 us with a tail reaching into milliseconds.
const std::vector<std::int64_t>& rtt_values() {
    static const std::vector<std::int64_t> values = [] {
        std::mt19937_64 rng(0x1a7e9c5eedULL);
        std::lognormal_distribution<double> dist(std::log(20'000.0), 0.6);
        std::vector<std::int64_t> v(kValueCount);
        for (auto& x : v)
            x = std::llround(dist(rng));
        return v;
    }();
    return values;
}

void BM_HistogramRecord(benchmark::State& state) {
    const auto& values = rtt_values();
    le::Histogram h;
    for (auto _ : state) {
        for (auto v : values)
            h.record(v);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(h.count());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_HistogramRecord);

// The cheapest possible counting: one masked index and one increment, over the same values and with
// the same loop shape, so the ratio isolates what record() adds (bucketing, min/max/sum/overflow).
void BM_ReferenceArrayIncrement(benchmark::State& state) {
    const auto& values = rtt_values();
    std::vector<std::uint64_t> counts(4096, 0);
    for (auto _ : state) {
        for (auto v : values)
            ++counts[static_cast<std::size_t>(v) & 4095];
        benchmark::DoNotOptimize(counts.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_ReferenceArrayIncrement);

// Keeps the normal console output and remembers ns per recorded value for the verdict. With
// --benchmark_repetitions the fastest repetition wins: noise on a shared machine only ever adds time.
class CapturingReporter : public benchmark::ConsoleReporter {
public:
    using ConsoleReporter::ConsoleReporter;

    void ReportRuns(const std::vector<Run>& reports) override {
        for (const auto& run : reports) {
            if (run.run_type != Run::RT_Iteration || run.error_occurred)
                continue;
            const auto it = run.counters.find("items_per_second");
            if (it == run.counters.end() || it->second.value <= 0)
                continue;
            const double ns = 1e9 / it->second.value;
            const std::string name = run.run_name.function_name;
            auto [slot, inserted] = m_ns_per_item.try_emplace(name, ns);
            if (!inserted && ns < slot->second)
                slot->second = ns;
        }
        ConsoleReporter::ReportRuns(reports);
    }

    // Negative when the benchmark did not run (filtered out or failed).
    double ns_per_item(const std::string& name) const {
        const auto it = m_ns_per_item.find(name);
        return it == m_ns_per_item.end() ? -1.0 : it->second;
    }

private:
    std::map<std::string, double> m_ns_per_item;
};

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;

    // A custom display reporter bypasses the library's own colour detection.
    CapturingReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                     : benchmark::ConsoleReporter::OO_Tabular);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    const double record_ns = reporter.ns_per_item("BM_HistogramRecord");
    const double reference_ns = reporter.ns_per_item("BM_ReferenceArrayIncrement");
    if (record_ns < 0 || reference_ns < 0) {
        std::printf("histogram record / reference: not both measured, no verdict\n");
        return 0;
    }
    // The verdict is informational: the CTest smoke run uses tiny timings on a possibly busy machine,
    // so failing the process on a slow sample would make the suite flaky.
    std::printf("histogram record: %.2f ns/op (target <= %.0f), reference: %.2f ns/op, ratio %.2f -> %s\n",
                record_ns, kTargetNsPerRecord, reference_ns, record_ns / reference_ns,
                record_ns <= kTargetNsPerRecord ? "meets target" : "MISSES target");
    return 0;
}
