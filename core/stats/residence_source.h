#pragma once

#include "clock.h"
#include "split_stats.h"

#include <string>

namespace le {

// A source of the peer's residence histograms (split_stats.h's ResidenceData): how long a pong of
// ours held each request, for the ping session to divide `wire` into `network` and `pong`. The
// in-process pong is one (session/embedded_residence.h), the window's pong child another (its stdout
// lines, ResidenceChunks), an agent's endpoint a third (remote/agent_residence.h).
//
// Alignment: a source delivers residence in chunks measured over its own periods, not over the
// ping's intervals; an interval gets the chunks whose end lies at or before its end and that no
// earlier interval took, so a chunk straddling a boundary counts wholly in the later interval. The
// alignment is as coarse as the source's period (the in-process pong's: exact to the boundary;
// the pong child's: its report period; an agent's: one control round trip).
class ResidenceSource {
public:
    virtual ~ResidenceSource() = default;

    // The residence measured up to `end` (CLOCK_MONOTONIC ns of this host, as now_ns()) and not
    // taken before, merged into `out` (reset first). Returns empty when residence arrived for the
    // interval, else why not ("the pong child does not measure (engine asio ...)", "no report
    // ended within this interval"): the record's peer_split_available says "no: " and that. Called
    // by one thread, the session's collector, once per interval boundary and once at the start of
    // measuring (what it returns then, the warm-up's, is dropped). May block for a bounded time (an
    // agent's round trip); never on a data path.
    virtual std::string take(Nanos end, ResidenceData& out) = 0;
};

} // namespace le
