#pragma once

#include "clock.h"
#include "endpoint.h"
#include "engine_kind.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace le {

struct PongConfig {
    std::vector<Endpoint> listen;
    EngineKind engine = EngineKind::Asio;
    int tasks = 0; // compute tasks sharing the pong's engine
    Nanos task_work = 20 * kNanosPerMicro;
    Nanos task_period = kNanosPerMilli;
    int max_connections = 1024; // further connections are accepted and closed at once
    // Impairments for demos without netem (see impairments.h): each echo is held for delay +
    // uniform(-jitter, +jitter), clamped at 0; UDP datagrams are dropped with probability
    // loss_percent. Loss does not apply to TCP and Unix streams (they cannot lose bytes).
    Nanos delay = 0;
    Nanos jitter = 0;
    double loss_percent = 0;
    // Measure each request's residence (kernel RX stamp -> the echo's send call) per interval, for
    // the ping's kernel-timestamp split (split_stats.h): every engine, UDP and TCP (per read; see
    // pong_residence.h); Unix streams have no kernel stamps.
    bool measure_residence = false;
};

struct ResidenceData;

struct PongStats {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> refused{0}; // over max_connections, or no thread for them
    std::atomic<std::int64_t> active{0};
    std::atomic<std::uint64_t> bytes{0};   // echoed
    std::atomic<std::uint64_t> dropped{0}; // datagrams not echoed on purpose: loss, or delay queue full
    // errno of the last failed accept (EMFILE when out of descriptors), 0 once one succeeds again:
    // the pong keeps serving through it, but whoever waits for a connection can say why it hangs.
    std::atomic<int> accept_error{0};
};

// A pong peer: echoes every byte it receives on every endpoint, and nothing else, so it measures
// against any ping and any echo client. Memory is bounded: a fixed buffer per connection, and a
// connection whose client does not read simply stops being read (back-pressure, no queueing).
// With impairments a connection gets a bounded delay queue instead (impairments.h).
class PongServer {
public:
    virtual ~PongServer() = default;
    // The endpoints as bound (port 0 replaced by the real port), in the order given.
    virtual const std::vector<Endpoint>& endpoints() const = 0;
    virtual const PongStats& stats() const = 0;
    // Closes every socket and joins the threads. Idempotent; the destructor calls it.
    virtual void stop() = 0;
    // Changes the impairments of a running server, from any thread; messages read from then on
    // get the new ones. Throws std::invalid_argument unless delay and jitter are 0 .. 10 s and
    // loss 0 .. 100.
    virtual void set_impairments(Nanos delay, Nanos jitter, double loss_percent) = 0;
    // With config.measure_residence: empty when this pong measures its residence, else why not
    // ("unix stream sockets get no kernel timestamps: ..."). Without it: "not asked for".
    virtual const std::string& residence_unavailable() const = 0;
    // The residence times since the last call (only when measured), valid until the next call. One
    // reader at a time (the ping session's collector); never blocks the serving threads.
    virtual const ResidenceData& take_residence() = 0;
};

// Binds every endpoint and starts serving. Throws std::runtime_error naming the endpoint that
// could not be bound, std::invalid_argument for bad settings.
std::unique_ptr<PongServer> start_pong(const PongConfig& config);

// Per-connection buffer of the pong (a stream is echoed in chunks of at most this size).
inline constexpr std::size_t kPongChunk = 64 * 1024;

} // namespace le
