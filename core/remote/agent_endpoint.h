#pragma once

#include "clock.h"
#include "endpoint.h"
#include "engine_kind.h"
#include "split_stats.h"

#include <cstdint>
#include <string>

namespace le {

// A pong endpoint to create on the agent's host: the same settings a local latency-pong takes.
struct AgentEndpointSpec {
    Transport transport = Transport::Tcp; // tcp or udp (unix makes no sense across hosts)
    EngineKind engine = EngineKind::Asio;
    std::string bind_host = "0.0.0.0";
    std::uint16_t port = 0; // 0: any free port
    int tasks = 0;
    Nanos task_work = 20 * kNanosPerMicro;
    Nanos task_period = kNanosPerMilli;
    Nanos delay = 0;
    Nanos jitter = 0;
    double loss_percent = 0;
    // Measure each request's residence for residence requests (PongConfig::measure_residence); an
    // optional field on the wire (absent: off), so agents and clients of before it still agree.
    bool measure_residence = false;
};

// PongStats copied out (the atomics themselves cannot travel).
struct AgentEndpointStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;
    std::int64_t active = 0;
    std::uint64_t bytes = 0;
    std::uint64_t dropped = 0;
};

// A residence answer: endpoint `endpoint`'s residence (split_stats.h) since the previous residence
// request for it (or its creation), over [start, end] of the AGENT's CLOCK_MONOTONIC (another
// host's clock: a client places the chunk by the time the answer arrived, not by these). When the
// endpoint does not measure, `unavailable` says why and the rest is empty.
struct AgentResidence {
    int endpoint = 0;
    Nanos start = 0, end = 0;
    ResidenceData data;
    std::string unavailable;
};

struct AgentEndpointInfo {
    int id = 0;
    AgentEndpointSpec spec;
    // Where a ping reaches it: the bound port, and the wildcard bind address replaced by the
    // client's data host (see AgentClient::connect).
    Endpoint endpoint;
    AgentEndpointStats stats; // as of the list/create answer
};

} // namespace le
