#include "clock_offset.h"

#include <cstdlib>
#include <ctime>

namespace le {
namespace {

Nanos read(clockid_t id) noexcept {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

// A bracket this tight means no preemption between the reads: no need to try again.
constexpr Nanos kTightBracket = 200;

} // namespace

RealtimeBridge::Sample RealtimeBridge::sample() noexcept {
    Sample best{0, INT64_MAX, 0};
    for (int i = 0; i < 4 && best.bracket > kTightBracket; ++i) {
        const Nanos before = read(CLOCK_MONOTONIC);
        const Nanos real = read(CLOCK_REALTIME);
        const Nanos after = read(CLOCK_MONOTONIC);
        if (after - before < best.bracket)
            best = Sample{real - (before + (after - before) / 2), after - before, after};
    }
    return best;
}

Nanos RealtimeBridge::tolerance(const Sample& a, const Sample& b) noexcept {
    return a.bracket + b.bracket + 5 * kNanosPerMicro + std::llabs(b.taken - a.taken) / 1000;
}

bool RealtimeBridge::resample() noexcept {
    const Sample s = sample();
    const bool steady = !m_have || std::llabs(s.offset - m_now.offset) <= tolerance(m_now, s);
    if (!steady)
        m_last_step = s.taken;
    m_now = s;
    m_have = true;
    return steady;
}

} // namespace le
