#include "pacer.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <sys/prctl.h>
#include <thread>

namespace le {

void Pacer::reset(Nanos t0, double rate, int burst) noexcept {
    m_burst = burst < 1 ? 1 : burst;
    m_in_burst = 0;
    m_t0 = t0;
    m_period_ns = rate > 0 ? 1e9 / rate : 0;
    m_k = 0;
    m_due = t0;
}

void Pacer::advance() noexcept {
    if (++m_in_burst < m_burst)
        return; // the rest of the burst is due at once
    m_in_burst = 0;
    ++m_k;
    m_due = m_t0 + static_cast<Nanos>(std::llround(static_cast<double>(m_k) * m_period_ns));
}

std::uint64_t Pacer::skip_missed(Nanos now) noexcept {
    if (m_in_burst != 0 || m_period_ns <= 0 || now - m_due < static_cast<Nanos>(m_period_ns))
        return 0; // a burst runs back-to-back by design; a slot less than a period late is kept
    const auto ticks = static_cast<std::uint64_t>(static_cast<double>(now - m_due) / m_period_ns);
    m_k += ticks;
    m_due = m_t0 + static_cast<Nanos>(std::llround(static_cast<double>(m_k) * m_period_ns));
    if (m_due > now) { // rounding: the latest slot not after `now`
        --m_k;
        m_due = m_t0 + static_cast<Nanos>(std::llround(static_cast<double>(m_k) * m_period_ns));
        return (ticks - 1) * static_cast<std::uint64_t>(m_burst);
    }
    return ticks * static_cast<std::uint64_t>(m_burst);
}

bool wait_until(Nanos deadline, const std::atomic<std::uint64_t>* wake, std::uint64_t seen,
                const std::atomic<bool>* stop, bool share_cpu) noexcept {
    // Sleep in slices so a live change or a stop request is seen within one slice.
    constexpr Nanos kSlice = 20 * kNanosPerMilli;
    const auto interrupted = [&] {
        return (wake && wake->load(std::memory_order_relaxed) != seen) ||
               (stop && stop->load(std::memory_order_relaxed));
    };
    for (;;) {
        if (interrupted())
            return false;
        const Nanos left = deadline - now_ns();
        if (left <= 0)
            return true;
        if (left <= kSpinMargin)
            break;
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(left - kSpinMargin, kSlice)));
    }
    while (now_ns() < deadline) {
        if (interrupted())
            return false;
        if (share_cpu)
            sched_yield();
    }
    return true;
}

void use_precise_timers() noexcept {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

} // namespace le
