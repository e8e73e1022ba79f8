#pragma once

#include "clock.h"
#include "live_params.h"

#include <atomic>
#include <cstdint>

namespace le {

// Send times on a fixed schedule: message k is due at t0 + k / rate, whatever the replies did.
// A rate change re-anchors the schedule at the moment of the change.
class Pacer {
public:
    // rate 0 = back-to-back (every message is due at once). With burst K, each tick is due for K
    // messages in a row: they share one due time, and the next tick comes 1/rate later.
    void reset(Nanos t0, double rate, int burst = 1) noexcept;
    Nanos due() const noexcept { return m_due; }
    void advance() noexcept;
    // Closed loop: a reply (or a wake-up) that came later than the next slot must not trigger a
    // catch-up burst, so the slots whose time has passed are skipped: the schedule stays on its grid
    // (t0 + k / rate), the next message is due at the latest slot not after `now`, and the shortfall
    // shows in the achieved rate. Returns how many messages were skipped (slots x burst), so that
    // sent + skipped counts every slot of the schedule. Never skips inside a burst.
    std::uint64_t skip_missed(Nanos now) noexcept;
    bool back_to_back() const noexcept { return m_period_ns == 0; }

private:
    Nanos m_t0 = 0;
    double m_period_ns = 0;
    std::uint64_t m_k = 0;
    int m_burst = 1;
    int m_in_burst = 0;
    Nanos m_due = 0;
};

// The data path's view of the live parameters, re-read only when their generation moved (one atomic
// load per message otherwise). A new rate re-anchors the schedule at the moment of the change.
inline void follow_live_params(const LiveParams& p, std::uint64_t& generation, double& rate,
                               std::size_t& payload, Pacer& pacer, int burst) noexcept {
    const std::uint64_t g = p.generation.load(std::memory_order_acquire);
    if (g == generation)
        return;
    generation = g;
    payload = p.payload.load();
    if (const double r = p.rate.load(); r != rate) {
        rate = r;
        pacer.reset(now_ns(), rate, burst);
    }
}

// The live parameters as a data path last applied them (follow_live_params keeps them current).
struct LiveSnapshot {
    std::uint64_t generation;
    double rate;
    std::size_t payload;
};

// The start of a data path's sending loop: takes the live parameters now (the generation first, so
// a change made meanwhile is picked up by the next follow_live_params) and starts `pacer`'s
// schedule at this moment.
inline LiveSnapshot start_pacing(const LiveParams& p, Pacer& pacer, int burst) noexcept {
    const LiveSnapshot now{p.generation.load(std::memory_order_acquire), p.rate.load(), p.payload.load()};
    pacer.reset(now_ns(), now.rate, burst);
    return now;
}

// Waits until `deadline`: sleeps while far away, then spins the last stretch because sleeps overshoot
// by tens of microseconds. Returns false early (without reaching the deadline) when `wake` is
// non-null and changes from `seen`, or when `stop` becomes true, so live changes apply at once.
// `share_cpu`: the spin yields the CPU at each turn, so that a thread that must run meanwhile on the
// same CPU (an open loop's receiver, reading the echoes) is not starved for a scheduler slice.
bool wait_until(Nanos deadline, const std::atomic<std::uint64_t>* wake = nullptr, std::uint64_t seen = 0,
                const std::atomic<bool>* stop = nullptr, bool share_cpu = false) noexcept;

// Asks the kernel for precise timer wake-ups on the calling thread (default slack is 50 us).
void use_precise_timers() noexcept;

inline constexpr Nanos kSpinMargin = 60 * kNanosPerMicro;

} // namespace le
