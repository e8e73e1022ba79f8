#pragma once

#include "clock.h"

#include <cstdint>

namespace le {

// Real CPU work for the compute tasks: rounds of a multiply-xorshift hash over a 4 KiB buffer held
// in L1, so a task occupies its core (unlike the study's "sleep 1 ms" tasks, which only woke timers).
// The amount is given as time and converted to rounds once, by a calibration on an idle thread; under
// contention the same rounds then take longer in wall time, as real work would.
class ComputeWork {
public:
    // Rounds per microsecond measured at first use (thread-safe, ~20 ms once per process).
    static double rounds_per_us();
    static std::uint64_t rounds_for(Nanos work);
    // Does `rounds` rounds and folds the result into a global sink so it is not optimised away.
    static void run(std::uint64_t rounds) noexcept;
    static std::uint64_t sink() noexcept;
};

} // namespace le
