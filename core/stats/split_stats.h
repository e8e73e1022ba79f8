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
    // The peer's residence (ResidenceData), added by the collector from an in-process pong of ours:
    // the ping's data path never writes it.
    Histogram pong;
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
    static constexpr Histogram SplitData::*kParts[] = {&SplitData::send, &SplitData::wire, &SplitData::wake,
                                                       &SplitData::pong};
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

// The peer's side of the split, when the peer is a pong of ours: how long each request stayed in
// it, from the kernel's RX software stamp of the request to the moment the pong's send call of the
// echo began (pong_residence.h), nanoseconds; requests without a usable stamp are counted apart.
// Written by the pong's serving thread through PhasedBuffers, read at the ping's interval boundary.
struct ResidenceData {
    Histogram residence;
    std::uint64_t unstamped = 0;
    std::uint64_t discarded = 0;
    void reset() noexcept {
        residence.reset();
        unstamped = discarded = 0;
    }
    void add(const ResidenceData& o) noexcept {
        residence.add(o.residence);
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
    // With the peer's side (IntervalRecord::peer_split_available): the pong's residence, and the
    // network, which is wire less pong, statistic by statistic (set_peer_side()).
    PartStats pong, network;
};

PartStats part_stats_of(const Histogram& h);
SplitStats split_stats_of(const SplitData& d);

// Sets s.pong from `pong` (residence, ns) and s.network from s.wire and s.pong: the residence is
// measured per interval, not matched to messages, so network's mean, p50, p90 and p99 are wire's
// less pong's (never below 0): a difference of percentiles, exact for the mean and close when the
// residence varies little; its count and max are wire's (the max an upper bound).
void set_peer_side(SplitStats& s, const Histogram& pong);

// Two records' splits as one, without their histograms (RunHistory's compaction): counts summed,
// means weighted, max exact; each percentile is the higher of the two, an upper bound.
SplitStats merged(const SplitStats& a, const SplitStats& b);

} // namespace le
