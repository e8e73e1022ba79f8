#pragma once

#include "clock.h"
#include "endpoint.h"
#include "engine_kind.h"
#include "residence_source.h"
#include "units.h"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace le {

struct PingConfig {
    std::optional<Endpoint> peer; // none: start a pong in this process on loopback
    Transport transport = Transport::Tcp;
    EngineKind engine = EngineKind::Blocking;
    double rate = 1000; // msg/s, kRateInf = back-to-back
    // Open loop: the highest rate the run may be set to live (0: `rate`). Its in-flight table holds
    // rate_ceiling x timeout messages, allocated at start; a live rate above it is refused.
    double rate_ceiling = 0;
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
    // The run ends with "peer lost: no echo for 1.5 s" once messages went unanswered this long (at
    // least `timeout`; datagrams can be lost, so it takes 2 of them in a row in closed loop, 3 in open
    // loop): a killed or unreachable peer is told from a slow one within 2 s. 0: never.
    Nanos peer_lost = 1500 * kNanosPerMilli;
    // At each tick, send `burst` round trips back-to-back; the first and the rest are reported as
    // separate series, to show how much of low-rate latency is the cold path.
    int burst = 1;
    std::vector<int> cpu;      // the ping's data path and tasks; empty = any (not pinned)
    std::vector<int> pong_cpu; // the in-process pong (or, for the record, a local pong started pinned)
    // A separate peer we started ourselves: the CPUs it may run on as read back from it
    // (placement_of(pid)); empty = not known ("unknown" in the records).
    std::string pong_placement;
    // Fill each payload with a pattern derived from its sequence number and count an echo whose
    // payload differs as an error (costs a pass over the payload per message, each way).
    bool verify_payload = false;
    // Split each round trip into send, wire and wake by the kernel's software timestamps
    // (kernel_split.h: the engines and transports that can; the others say why in their records).
    bool kernel_timestamps = false;
    // The in-process pong holds each echo this long (its impairments, impairments.h), 0 .. 10 s: a
    // slow peer to see in the split (wire, or pong with the peer's side).
    Nanos pong_delay = 0;
    // With kernel_timestamps and a separate peer of ours (the window's pong child, an agent's
    // endpoint): where its residence comes from, so the records divide wire into network and pong.
    // Null: a plain echo peer. The in-process pong needs none (the session asks it directly).
    std::shared_ptr<ResidenceSource> residence = nullptr;

    Transport effective_transport() const { return peer ? peer->transport : transport; }
    // The highest rate of the run: max(rate, rate_ceiling), finite.
    double highest_rate() const;
};

// Throws std::invalid_argument naming the first bad value.
void validate(const PingConfig& config);

// `config` with one live change applied ("rate" "10k", "payload" "1KiB", "tasks" "100", "task-work",
// "task-period"), validated as a run started so would be, and with the in-flight table's size fixed
// (a rate above config.highest_rate() in open loop is refused): what a scheduled change can be
// checked with before the run starts. Throws std::invalid_argument naming the setting.
PingConfig with_change(const PingConfig& config, std::string_view key, std::string_view value);

inline constexpr int kMaxTasks = 100'000;
// The most compute tasks `engine` runs: engines whose tasks are OS threads (blocking, spin) take
// 2000 (each thread costs a stack and a scheduler entry, and beyond that a 2-core machine is
// unusable for minutes); the asio engines, whose tasks are handlers, 10000. validate() and live
// changes refuse more.
int max_tasks(EngineKind engine);
// A task count for `engine` ("100", "1k"); throws std::invalid_argument naming the count as given
// when it is not a count or above max_tasks(engine).
int parse_tasks(std::string_view text, EngineKind engine);
inline constexpr int kMaxBurst = 1000;

} // namespace le
