#pragma once

#include "live_params.h"
#include "ping_config.h"
#include "recorder.h"
#include "socket.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace le {

// What a ping engine shares with the session that drives it.
struct PingContext {
    PingContext(LiveParams& p, Recorder& r, const PingConfig& c)
        : params(p)
        , recorder(r)
        , config(c) {}
    LiveParams& params;
    Recorder& recorder;
    const PingConfig& config;
    // Messages sent at or after this time are counted; earlier ones are warm-up.
    // INT64_MAX until the engine is built and its tasks are up, so their start-up is never measured.
    std::atomic<Nanos> measure_from{INT64_MAX};
    // Stop sending at this time, then wait (at most config.timeout) for the echoes in flight.
    std::atomic<Nanos> send_until{INT64_MAX};
    // Stop now, without waiting for echoes.
    std::atomic<bool> abort{false};
    // Called once from an engine thread when the engine has ended, with an empty string when it
    // ended as asked or the reason it could not go on (peer closed, peer unreachable, ...).
    std::function<void(const std::string& error)> on_finished;
};

class PingEngine {
public:
    virtual ~PingEngine() = default;
    // Starts the data path and the compute tasks on the engine's threads; returns at once.
    virtual void start() = 0;
    // Applies a change of params.tasks (control path). Throws ThreadStartError when the system
    // refuses a task's thread, with params.tasks set to the count that runs.
    virtual void tasks_changed() = 0;
    // Waits for the engine's threads to end (after send_until or abort).
    virtual void join() = 0;
    // With config.kernel_timestamps: empty when the engine splits its round trips (kernel_split.h),
    // otherwise why not (the engine, the mode, the transport or the kernel).
    virtual std::string split_unavailable() const {
        return "this engine does not read kernel timestamps yet";
    }
};

// `socket` is connected to the peer. Throws std::invalid_argument for an unknown combination.
std::unique_ptr<PingEngine> make_ping_engine(EngineKind kind, PingContext& context, Fd socket);

} // namespace le
