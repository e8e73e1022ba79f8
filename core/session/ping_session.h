#pragma once

#include "interval_record.h"
#include "live_params.h"
#include "ping_config.h"
#include "ping_engine.h"
#include "pong_server.h"
#include "recorder.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace le {

// One measurement run: connects (or starts an in-process pong), drives a ping engine, cuts the
// data into interval records on a collector thread, and takes live changes from any thread. The
// command line and the window both use it, so what one can do the other can.
class PingSession {
public:
    explicit PingSession(PingConfig config);
    ~PingSession();
    PingSession(const PingSession&) = delete;
    PingSession& operator=(const PingSession&) = delete;

    // Validates the configuration, reaches the peer (probing that it echoes) and starts measuring.
    // Throws std::invalid_argument for bad settings and std::runtime_error when the peer cannot be
    // used, with a message meant for the user.
    void start();
    // Stops sending now, waits for the echoes in flight, then emits the last records. Idempotent.
    void stop();

    // Next record (intervals in order, the summary last). False on timeout or when none will come.
    bool next_record(IntervalRecord& out, Nanos timeout);
    // True once the summary has been queued and every queued record read: next_record() will
    // never give another. (Not just "queued": a reader whose next_record() timed out the moment
    // before the summary came would then stop without it.)
    bool finished() const;
    // Why the run ended early ("peer closed the connection", ...), empty when it did not.
    std::string error() const;

    // Live control, from any thread. Throws std::invalid_argument (nothing changes) for a bad value.
    void set_rate(double rate);
    void set_payload(std::size_t bytes);
    // Throws std::runtime_error when the system refuses a task's thread: the tasks that started run
    // on, and the records (and the change recorded) say how many.
    void set_tasks(int tasks);
    void set_task_work(Nanos work);
    void set_task_period(Nanos period);
    // key=value as the command line and the window spell it: rate=10k, payload=1KiB, tasks=100,
    // task-work=50us, task-period=2ms.
    void apply(std::string_view key, std::string_view value);

    const PingConfig& config() const { return m_config; }
    // The compute tasks asked for now, live changes included (config() has the start's; the records
    // say how many run).
    int tasks() const noexcept { return m_params.tasks.load(std::memory_order_relaxed); }
    Endpoint peer() const { return m_peer; }
    // Seconds since start() (the run's clock, warm-up included).
    double elapsed_s() const;

private:
    void collect();
    void publish(IntervalRecord record);
    // `pong`: the peer's residence over the same time (ResidenceSource), when it arrived.
    IntervalRecord make_record(const IntervalData& data, const Histogram* pong, Nanos start, Nanos end,
                               IntervalRecord::Kind kind);
    // Marks a change made at `at` (now_ns(); 0 = now) for the next record and the summary.
    void record_change(std::string key, std::string value, Nanos at = 0);

    PingConfig m_config;
    // The CPUs the data path and the in-process pong may run on, read back when they started.
    std::string m_ping_cpus = "any", m_pong_cpus = "any";
    LiveParams m_params;
    Recorder m_recorder;
    std::unique_ptr<PongServer> m_embedded_pong;
    std::unique_ptr<PingContext> m_context;
    std::unique_ptr<PingEngine> m_engine;
    Endpoint m_peer;
    int m_data_fd = -1; // the engine's socket (it owns it), for the peer-lost watchdog to look at
    Nanos m_run_start = 0;
    std::string m_split_available = IntervalRecord{}.split_available; // the records' split_available
    // The next record's peer_split_available: set by the collector per interval, from what m_residence gave.
    std::string m_peer_split_available = IntervalRecord{}.peer_split_available;
    // The peer's residence (the in-process pong, or config.residence), with the ping's split on.
    std::shared_ptr<ResidenceSource> m_residence;
    std::thread m_collector;

    mutable std::mutex m_mutex;           // guards everything below
    std::condition_variable m_wake;       // collector: stop requested or engine finished
    std::condition_variable m_records_cv; // consumers: a record was queued
    bool m_stop_requested = false;
    bool m_engine_finished = false;
    bool m_finished = false;
    std::string m_error;
    std::deque<IntervalRecord> m_records;
    std::vector<ParamChange> m_pending_changes; // since the last interval record
    std::vector<ParamChange> m_all_changes;
    IntervalData m_cumulative;
    bool m_any_saturated = false; // some interval record was saturated
    std::mutex m_control;         // serialises live changes
};

} // namespace le
