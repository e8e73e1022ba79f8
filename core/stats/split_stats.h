#pragma once

#include "clock.h"
#include "histogram.h"

#include <cstdint>

namespace le {

// Where one round trip's time went, from the kernel's software timestamps (kernel_timestamps.h):
//   send: the send call began -> the kernel's TX timestamp (the application's and the stack's way down);
//   wire: TX timestamp -> the RX timestamp of the echo (the network, or loopback, and the whole peer);
//   wake: RX timestamp -> the engine has the bytes (wake-up, runtime dispatch, work queued before it).
// send + wire + wake is the round trip measured from the send call, exactly (same nanoseconds).
struct SplitSample {
    enum class State {
        None,      // nothing to record (the split is off)
        Ok,        // the three parts below
        Unstamped, // the kernel gave no TX or no RX stamp for this message
        Discarded, // stamps taken across a clock step, or a negative part: not trustworthy
    };
    State state = State::None;
    Nanos send = 0, wire = 0, wake = 0;
};

// The parts of one interval's round trips: one histogram each (nanoseconds), and the messages that
// had no usable split, so a part's count plus these adds up to the received echoes.
struct SplitData {
    Histogram send, wire, wake;
    std::uint64_t unstamped = 0;
    std::uint64_t discarded = 0;

    void record(const SplitSample& s) noexcept {
        switch (s.state) {
        case SplitSample::State::None:
            break;
        case SplitSample::State::Ok:
            send.record(s.send);
            wire.record(s.wire);
            wake.record(s.wake);
            break;
        case SplitSample::State::Unstamped:
            ++unstamped;
            break;
        case SplitSample::State::Discarded:
            ++discarded;
            break;
        }
    }
    static constexpr Histogram SplitData::*kParts[] = {&SplitData::send, &SplitData::wire, &SplitData::wake};
    void reset() noexcept {
        for (Histogram SplitData::*part : kParts)
            (this->*part).reset();
        unstamped = discarded = 0;
    }
    void add(const SplitData& o) noexcept {
        for (Histogram SplitData::*part : kParts)
            (this->*part).add(o.*part);
        unstamped += o.unstamped;
        discarded += o.discarded;
    }
};

// One part's statistics over an interval, in microseconds.
struct PartStats {
    std::uint64_t count = 0;
    double mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};

// What a record carries of the split (interval_record.h).
struct SplitStats {
    PartStats send, wire, wake;
    std::uint64_t unstamped = 0, discarded = 0;
};

PartStats part_stats_of(const Histogram& h);
SplitStats split_stats_of(const SplitData& d);

// Two records' splits as one, without their histograms (RunHistory's compaction): counts summed,
// means weighted, max exact; each percentile is the higher of the two, an upper bound.
SplitStats merged(const SplitStats& a, const SplitStats& b);

} // namespace le
