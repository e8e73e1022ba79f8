#pragma once

#include "clock.h"

#include <cstdint>

namespace le {

// The kernel stamps packets with CLOCK_REALTIME; the project measures with the monotonic clock
// (clock.h). RealtimeBridge converts between the two with an offset it samples itself: a realtime
// read bracketed by two monotonic reads (retried when the bracket is wide, i.e. the thread was
// preempted between the reads), so the conversion is good to half a bracket (tens of ns).
// A clock step (NTP, an administrator) between two samples shows as an offset jump larger than a
// slew could make; stamps taken around it cannot be converted, and the caller discards them.
// One thread per bridge; no allocation, no locks.
class RealtimeBridge {
public:
    struct Sample {
        Nanos offset = 0;  // realtime - monotonic
        Nanos bracket = 0; // width of the monotonic bracket around the realtime read
        Nanos taken = 0;   // monotonic time of the sample
    };

    // One bracketed sample (best of up to 4 reads).
    static Sample sample() noexcept;

    // Samples again and compares with the previous sample. Returns false when the offset moved by
    // more than a slew can explain (a step): stamps taken since the previous sample are suspect.
    // The first call after construction always returns true.
    bool resample() noexcept;

    // Realtime nanoseconds (a kernel stamp) in the monotonic clock, with the current sample.
    Nanos to_monotonic(std::int64_t realtime_ns) const noexcept { return realtime_ns - m_now.offset; }
    const Sample& current() const noexcept { return m_now; }
    // Monotonic time of the last detected step (0 = none): stamps of messages sent before it are
    // not trusted.
    Nanos last_step() const noexcept { return m_last_step; }

    // The largest offset change two samples `elapsed` apart may show without a step: the reads'
    // brackets, 5 us, and 1000 ppm of `elapsed` (NTP slews at most 500 ppm).
    static Nanos tolerance(const Sample& a, const Sample& b) noexcept;

private:
    Sample m_now;
    bool m_have = false;
    Nanos m_last_step = 0;
};

} // namespace le
