#include "ping_config.h"

#include "units.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace le {

int max_tasks(EngineKind engine) {
    return engine == EngineKind::Blocking || engine == EngineKind::Spin ? 2000 : 10'000;
}

double PingConfig::highest_rate() const {
    return std::min(std::max(rate == kRateInf ? 0.0 : rate, rate_ceiling), kRateMax);
}

int parse_tasks(std::string_view text, EngineKind engine) {
    const long long n = parse_count(text);
    if (n > max_tasks(engine))
        throw std::invalid_argument(fmt::format("tasks {} is out of range: the {} engine runs 0 to {}", n,
                                                to_string(engine), max_tasks(engine)));
    return static_cast<int>(n);
}

void validate(const PingConfig& c) {
    const auto bad = [](std::string why) { return std::invalid_argument(std::move(why)); };
    if (c.rate != kRateInf && (c.rate < kRateMin || c.rate > kRateMax))
        throw bad(fmt::format("rate {} is out of range (1 to 1M msg/s, or inf)", c.rate));
    if (c.open_loop && c.rate == kRateInf)
        throw bad("open loop needs a finite rate: back-to-back (inf) means one message in flight, "
                  "which is closed loop");
    if (c.pong_delay < 0 || c.pong_delay > 10 * kNanosPerSecond)
        throw bad(fmt::format("pong delay {} is out of range (0 to 10 s)", format_duration(c.pong_delay)));
    if (c.pong_delay > 0 && c.peer)
        throw bad("a pong delay applies to the in-process pong only: give the peer its own --delay");
    if (c.rate_ceiling != 0 && (c.rate_ceiling < kRateMin || c.rate_ceiling > kRateMax))
        throw bad(fmt::format("rate ceiling {} is out of range (1 to 1M msg/s)", c.rate_ceiling));
    if (c.open_loop && c.rate_ceiling != 0 && c.rate > c.rate_ceiling)
        throw bad(fmt::format("rate {} is above this run's ceiling of {} msg/s (its in-flight table is sized "
                              "for that rate; start a new run)",
                              c.rate, c.rate_ceiling));
    check_payload(c.payload, c.effective_transport());
    if (c.tasks < 0 || c.tasks > max_tasks(c.engine))
        throw bad(fmt::format("tasks {} is out of range: the {} engine runs 0 to {}", c.tasks,
                              to_string(c.engine), max_tasks(c.engine)));
    if (c.task_work < 0 || c.task_work > kNanosPerSecond)
        throw bad("task work must be from 0 to 1 s");
    if (c.task_period < 10 * kNanosPerMicro || c.task_period > 10 * kNanosPerSecond)
        throw bad("task period must be from 10 us to 10 s");
    if (c.duration < 0)
        throw bad("duration must not be negative");
    if (c.warmup < 0)
        throw bad("warm-up must not be negative");
    if (c.interval < 10 * kNanosPerMilli)
        throw bad("interval must be at least 10 ms");
    if (c.timeout < kNanosPerMilli || c.timeout > 60 * kNanosPerSecond)
        throw bad("timeout must be from 1 ms to 60 s");
    if (c.burst < 1 || c.burst > kMaxBurst)
        throw bad(fmt::format("burst {} is out of range (1 to {})", c.burst, kMaxBurst));
    if (c.peer_lost < 0 || c.peer_lost > 3600 * kNanosPerSecond)
        throw bad("peer-lost time must be from 0 (never) to 1 h");
    if (c.connect_timeout <= 0)
        throw bad("connect timeout must be positive");
}

PingConfig with_change(const PingConfig& config, std::string_view key, std::string_view value) {
    PingConfig c = config;
    c.rate_ceiling = config.highest_rate();
    if (key == "rate")
        c.rate = parse_rate(value);
    else if (key == "payload")
        c.payload = parse_size(value);
    else if (key == "tasks")
        c.tasks = parse_tasks(value, c.engine);
    else if (key == "task-work")
        c.task_work = parse_duration(value);
    else if (key == "task-period")
        c.task_period = parse_duration(value);
    else
        throw std::invalid_argument(fmt::format(
            "unknown setting '{}' (expected rate, payload, tasks, task-work or task-period)", key));
    validate(c);
    return c;
}

} // namespace le
