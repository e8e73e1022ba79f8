#pragma once

#include "clock.h"
#include "endpoint.h"
#include "engine_kind.h"
#include "units.h"

#include <optional>

namespace le {

struct PingConfig {
    std::optional<Endpoint> peer; // none: start a pong in this process on loopback
    Transport transport = Transport::Tcp;
    EngineKind engine = EngineKind::Blocking;
    double rate = 1000;       // msg/s, kRateInf = back-to-back
    std::size_t payload = 64; // bytes
    int tasks = 0;            // compute tasks sharing the ping's engine
    Nanos task_work = 20 * kNanosPerMicro;
    Nanos task_period = kNanosPerMilli;
    Nanos duration = 10 * kNanosPerSecond; // measured time; 0 = until stop()
    Nanos warmup = kNanosPerSecond;
    Nanos interval = kNanosPerSecond;
    bool open_loop = false;
    Nanos timeout = kNanosPerSecond; // a message without echo after this is lost
    Nanos connect_timeout = 3 * kNanosPerSecond;

    Transport effective_transport() const { return peer ? peer->transport : transport; }
};

// Throws std::invalid_argument naming the first bad value.
void validate(const PingConfig& config);

inline constexpr int kMaxTasks = 100'000;

} // namespace le
