#include "compute_work.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

namespace le {
namespace {

std::atomic<std::uint64_t> g_sink{0};

// One round: hash 512 words (4 KiB).
std::uint64_t hash_round(std::uint64_t h) noexcept {
    thread_local std::array<std::uint64_t, 512> buffer = [] {
        std::array<std::uint64_t, 512> b{};
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = i * 0x9E3779B97F4A7C15ull;
        return b;
    }();
    for (std::uint64_t w : buffer) {
        h ^= w;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h;
}

double calibrate() {
    // Best of several short trials: the fastest is the least disturbed by other threads.
    double best = 0;
    for (int trial = 0; trial < 5; ++trial) {
        const std::uint64_t rounds = 200;
        const Nanos t0 = now_ns();
        std::uint64_t h = 1;
        for (std::uint64_t i = 0; i < rounds; ++i)
            h = hash_round(h);
        const Nanos dt = std::max<Nanos>(1, now_ns() - t0);
        g_sink.fetch_add(h, std::memory_order_relaxed);
        best = std::max(best, static_cast<double>(rounds) * 1e3 / static_cast<double>(dt));
    }
    return best;
}

} // namespace

double ComputeWork::rounds_per_us() {
    static const double value = calibrate();
    return value;
}

std::uint64_t ComputeWork::rounds_for(Nanos work) {
    if (work <= 0)
        return 0;
    return std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::llround(rounds_per_us() * static_cast<double>(work) / 1e3)));
}

void ComputeWork::run(std::uint64_t rounds) noexcept {
    std::uint64_t h = rounds;
    for (std::uint64_t i = 0; i < rounds; ++i)
        h = hash_round(h);
    g_sink.fetch_add(h, std::memory_order_relaxed);
}

std::uint64_t ComputeWork::sink() noexcept {
    return g_sink.load(std::memory_order_relaxed);
}

} // namespace le
