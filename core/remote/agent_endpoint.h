#pragma once

#include "clock.h"
#include "endpoint.h"
#include "engine_kind.h"

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
};

// PongStats copied out (the atomics themselves cannot travel).
struct AgentEndpointStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;
    std::int64_t active = 0;
    std::uint64_t bytes = 0;
    std::uint64_t dropped = 0;
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
