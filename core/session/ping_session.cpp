#include "ping_session.h"

#include "blocking_io.h"
#include "compute_work.h"
#include "cpu_affinity.h"
#include "embedded_residence.h"
#include "stall_watch.h"
#include "start_thread.h"
#include "units.h"
#include "wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <unistd.h>

namespace le {
namespace {

constexpr std::size_t kMaxQueuedRecords = 1000; // a consumer that stops pulling loses old intervals only

Endpoint embedded_endpoint(Transport t) {
    static std::atomic<int> counter{0};
    Endpoint ep;
    ep.transport = t;
    if (t == Transport::Unix)
        ep.path = fmt::format("/tmp/latency-explorer-{}-{}.sock", ::getpid(), counter++);
    else
        ep.host = "127.0.0.1";
    return ep;
}

// One round trip before measuring: proves the peer is reachable and really echoes.
void probe(int fd, const Endpoint& peer, std::size_t payload, Nanos timeout) {
    std::vector<std::byte> tx(payload), rx(payload + 1);
    fill_pattern(tx.data(), tx.size());
    write_sequence(tx.data(), kProbeSequence);
    const Nanos deadline = now_ns() + timeout;
    set_recv_timeout(fd, 50 * kNanosPerMilli);
    set_send_timeout(fd, 50 * kNanosPerMilli);
    const auto in_time = [&] { return now_ns() < deadline; };
    IoResult r;
    if (is_stream(peer.transport)) {
        r = exchange_stream(fd, tx.data(), rx.data(), payload, in_time);
    } else {
        // A datagram may be lost (a lossy link, an impaired pong): ask again every 200 ms.
        do {
            const Nanos retry_at = std::min(deadline, now_ns() + 200 * kNanosPerMilli);
            r = send_all(fd, tx.data(), tx.size(), in_time);
            if (r.status == IoStatus::Ok)
                r = recv_some(fd, rx.data(), rx.size(), [&] { return now_ns() < retry_at; });
        } while (r.status == IoStatus::Idle && now_ns() < deadline);
    }
    if (r.status == IoStatus::Idle)
        throw std::runtime_error(fmt::format("peer {} did not echo within {} (is it an echo service?)",
                                             peer.url(), format_duration(timeout)));
    if (r.status != IoStatus::Ok)
        throw std::runtime_error(fmt::format("cannot use peer {}: {}", peer.url(), describe_io_failure(r)));
    if (r.bytes != payload || !std::equal(tx.begin(), tx.end(), rx.begin()))
        throw std::runtime_error(
            fmt::format("peer {} answered, but not with an echo of the bytes sent", peer.url()));
}

// The ping side's cost, shown beside its latency (spin burns a core; that must be visible).
double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

} // namespace

PingSession::PingSession(PingConfig config)
    : m_config(std::move(config)) {
    m_params.rate = m_config.rate;
    m_params.payload = m_config.payload;
    m_params.tasks = m_config.tasks;
    m_params.task_work = m_config.task_work;
    m_params.task_period = m_config.task_period;
}

PingSession::~PingSession() {
    stop();
    if (m_collector.joinable())
        m_collector.join();
    if (m_context)
        m_context->abort.store(true);
    m_engine.reset();
}

void PingSession::start() {
    validate(m_config);
    ComputeWork::rounds_per_us(); // calibrate now, not in the middle of the first interval

    if (m_config.peer) {
        m_peer = *m_config.peer;
    } else {
        PongConfig pong;
        pong.listen = {embedded_endpoint(m_config.transport)};
        // The in-process pong runs the ping's engine, except that two busy-polling threads on fewer
        // than four cores would starve everything else (the collector, the window): then it blocks
        // (spin), or does without its own SQ polling thread (uring-sqpoll).
        pong.engine = m_config.engine;
        if (std::thread::hardware_concurrency() < 4 && m_config.engine == EngineKind::Spin)
            pong.engine = EngineKind::Blocking;
        if (std::thread::hardware_concurrency() < 4 && m_config.engine == EngineKind::UringSqpoll)
            pong.engine = EngineKind::Uring;
        pong.delay = m_config.pong_delay;
        pong.measure_residence = m_config.kernel_timestamps;
        const ScopedAffinity placed(m_config.pong_cpu); // the pong's threads inherit the placement
        m_pong_cpus = placement_of(); // read back: a mask set from outside (taskset) counts too
        m_embedded_pong = start_pong(pong);
        m_peer = m_embedded_pong->endpoints().front();
    }
    Fd fd = connect_to(m_peer, m_config.connect_timeout);
    try {
        probe(fd.get(), m_peer, m_config.payload, m_config.connect_timeout);
    } catch (const std::runtime_error&) {
        // The kernel completes a TCP or Unix connection the in-process pong never accepted; the
        // probe then blames the peer, when the cause is ours (out of file descriptors).
        if (const int err = m_embedded_pong ? m_embedded_pong->stats().accept_error.load() : 0)
            throw std::runtime_error(
                fmt::format("the in-process pong cannot accept the connection: {}", describe_errno(err)));
        throw;
    }

    m_context = std::make_unique<PingContext>(m_params, m_recorder, m_config);
    m_context->on_finished = [this](const std::string& error) {
        std::lock_guard lock(m_mutex);
        m_engine_finished = true;
        if (m_error.empty())
            m_error = error;
        m_wake.notify_all();
    };
    {
        const ScopedAffinity placed(m_config.cpu); // the engine's threads and tasks inherit it
        m_ping_cpus = placement_of();
        m_data_fd = fd.get();
        m_engine = make_ping_engine(m_config.engine, *m_context, std::move(fd));
        if (m_config.kernel_timestamps) {
            const std::string why_not = m_engine->split_unavailable();
            m_split_available =
                why_not.empty() ? std::string("yes")
                                : fmt::format("no: {} ({} engine, {})", why_not, to_string(m_config.engine),
                                              to_string(m_config.effective_transport()));
            // The peer's side: only a pong of ours can say how long it held each request; whether it
            // does is known per interval, when its residence arrives (or not).
            if (why_not.empty() && m_embedded_pong)
                m_residence = std::make_shared<EmbeddedResidence>(*m_embedded_pong);
            else if (why_not.empty())
                m_residence = m_config.residence;
            m_peer_split_available = !why_not.empty() ? "no: no split on the ping's side"
                                     : !m_residence   ? "no: a plain echo peer (its residence is not known)"
                                                      : "no: no residence arrived";
        }
        // The run's clock starts once the engine exists: a thousand task threads can take seconds to
        // start on a loaded machine, and that belongs to neither the warm-up nor the measurement.
        m_run_start = now_ns();
        m_context->measure_from = m_run_start + m_config.warmup;
        m_context->send_until =
            m_config.duration > 0 ? m_run_start + m_config.warmup + m_config.duration : INT64_MAX;
        m_engine->start();
    }
    m_collector = std::thread([this] { collect(); });
}

void PingSession::stop() {
    std::lock_guard lock(m_mutex);
    m_stop_requested = true;
    m_wake.notify_all();
}

bool PingSession::finished() const {
    std::lock_guard lock(m_mutex);
    return m_finished && m_records.empty();
}

std::string PingSession::error() const {
    std::lock_guard lock(m_mutex);
    return m_error;
}

double PingSession::elapsed_s() const {
    return m_run_start ? to_seconds(now_ns() - m_run_start) : 0.0;
}

bool PingSession::next_record(IntervalRecord& out, Nanos timeout) {
    std::unique_lock lock(m_mutex);
    m_records_cv.wait_for(lock, std::chrono::nanoseconds(timeout),
                          [this] { return !m_records.empty() || m_finished || !m_collector.joinable(); });
    if (m_records.empty())
        return false;
    out = std::move(m_records.front());
    m_records.pop_front();
    return true;
}

void PingSession::collect() {
    const Nanos measure_from = m_context->measure_from;
    const Nanos measure_end = m_context->send_until.load();
    const Nanos interval = m_config.interval;
    // A peer that stops answering (killed, unreachable, link down) ends the run within the
    // peer-lost time: the engines alone would wait on TCP forever or count UDP losses forever.
    const Nanos lost_after = m_config.peer_lost > 0 ? std::max(m_config.peer_lost, m_config.timeout) : 0;
    // A stream cannot lose a message, so one unanswered for that long says enough; a datagram can, so
    // it takes several in a row (closed loop sends the next one only after a timeout, hence 2).
    const std::uint64_t lost_min_messages = is_stream(m_peer.transport) ? 1 : m_config.open_loop ? 3 : 2;
    // The run ends when it stalls (stall_watch.h) at two looks at least 40 ms apart: the peer left
    // messages unanswered for lost_after and no echo waits unread in our own socket (echoes waiting
    // mean the peer answered and the ping is behind), or the ping itself sent nothing for lost_after
    // beyond its schedule although nothing held it back: starved of CPU by its compute tasks, which
    // is not a lost peer. A process that was stopped wakes this thread first; the second look
    // leaves the engine time to send again. The engine owns the descriptor until join(), and this
    // runs before it.
    // A silence counts only as long as this thread watched it: after a gap in its own looks (the
    // process was stopped, or this thread starved too) it starts counting again, so a ping that
    // resumes is given the time to send before it is called overloaded.
    Nanos suspect_since = 0, last_look = 0, watching_since = 0;
    const auto stalled = [&] {
        StallFacts f;
        f.now = now_ns();
        if (f.now - last_look > 200 * kNanosPerMilli)
            watching_since = f.now;
        last_look = f.now;
        f.lost_after = lost_after;
        const double rate = m_params.rate.load();
        f.send_gap = rate > 0 ? static_cast<Nanos>(static_cast<double>(kNanosPerSecond) / rate) : 0;
        f.last_sent = m_recorder.last_sent();
        if (f.last_sent != 0)
            f.last_sent = std::max(f.last_sent, watching_since);
        f.unanswered_since = m_recorder.unanswered_since();
        f.unanswered = m_recorder.unanswered();
        f.min_unanswered = lost_min_messages;
        const bool suspect =
            lost_after > 0 && ((f.unanswered_since && f.now - f.unanswered_since >= lost_after) ||
                               (f.last_sent && f.now - f.last_sent >= lost_after));
        f.echoes_waiting = suspect && bytes_waiting(m_data_fd) > 0; // a system call only when suspect
        const Stall stall = judge_stall(f);
        if (stall == Stall::None) {
            suspect_since = 0;
            return false;
        }
        if (suspect_since == 0)
            suspect_since = f.now;
        if (f.now - suspect_since < 40 * kNanosPerMilli)
            return false;
        std::lock_guard lock(m_mutex);
        if (m_error.empty())
            m_error = stall_message(stall, lost_after);
        return true;
    };
    const auto wait_for_event = [&](Nanos until) {
        for (;;) {
            std::unique_lock lock(m_mutex);
            const Nanos slice_end = lost_after ? std::min(until, now_ns() + 50 * kNanosPerMilli) : until;
            const auto deadline = Clock::time_point(std::chrono::nanoseconds(slice_end));
            if (m_wake.wait_until(lock, deadline, [this] { return m_stop_requested || m_engine_finished; }))
                return true;
            lock.unlock();
            if (stalled()) {
                m_context->abort.store(true); // the echoes in flight will not come: count them lost now
                return true;
            }
            if (slice_end >= until)
                return false;
        }
    };

    Nanos start = measure_from;
    bool ended = wait_for_event(measure_from);
    ResidenceData residence;
    bool residence_arrived = false; // in some interval: the summary has the peer's side
    if (m_residence)
        m_residence->take(measure_from, residence); // the warm-up's, not measured
    double cpu_start = process_cpu_seconds();
    // The collector owns the cumulative data: every interval is added here before it is handed out.
    const auto cut = [&](const IntervalData& data, Nanos from, Nanos to) {
        const double cpu = process_cpu_seconds();
        const Histogram* pong = nullptr;
        if (m_residence) {
            // Taken at the same boundary as the ping's data, as closely as the source can align it
            // (residence_source.h); the record says "yes" only when some arrived.
            const std::string why = m_residence->take(to, residence);
            m_peer_split_available = why.empty() ? "yes" : "no: " + why;
            if (why.empty()) {
                pong = &residence.residence;
                m_cumulative.split.pong.add(*pong);
                residence_arrived = true;
            }
        }
        IntervalRecord r = make_record(data, pong, from, to, IntervalRecord::Kind::Interval);
        r.cpu_percent = to > from ? 100.0 * (cpu - cpu_start) / to_seconds(to - from) : 0;
        cpu_start = cpu;
        m_cumulative.add(data);
        publish(std::move(r));
    };
    const double cpu_measure_start = cpu_start;
    Nanos next = measure_from + interval;
    Nanos now = now_ns();
    while (!ended && now < measure_end) {
        ended = wait_for_event(std::min(next, measure_end));
        now = now_ns();
        if (ended || now >= measure_end)
            break;
        if (now >= next) {
            cut(m_recorder.swap(), start, now);
            start = now;
            while (next <= now)
                next += interval;
        }
    }

    // Stop sending (if not already) and let the engine drain the echoes in flight.
    const Nanos send_stop = std::min(now, measure_end);
    Nanos expected = m_context->send_until.load();
    while (send_stop < expected && !m_context->send_until.compare_exchange_weak(expected, send_stop)) {
    }
    m_engine->join();
    const IntervalData& last = m_recorder.swap();
    if (send_stop > start || last.sent || last.received || last.lost || last.errors)
        cut(last, start, std::max(send_stop, start + 1));
    if (residence_arrived)
        m_peer_split_available = "yes";
    IntervalRecord summary =
        make_record(m_cumulative, &m_cumulative.split.pong, measure_from,
                    std::max(send_stop, measure_from + 1), IntervalRecord::Kind::Summary);
    summary.cpu_percent = send_stop > measure_from ? 100.0 * (process_cpu_seconds() - cpu_measure_start) /
                                                         to_seconds(now_ns() - measure_from)
                                                   : 0;
    if (send_stop <= measure_from) { // stopped during warm-up: nothing was measured
        summary.t_s = to_seconds(send_stop - m_run_start);
        summary.duration_s = 0;
        summary.achieved_rate = 0;
    }
    {
        std::lock_guard lock(m_mutex);
        summary.changes = m_all_changes;
    }
    publish(std::move(summary));
    m_residence.reset(); // before the pong it may refer to
    m_embedded_pong.reset();
    std::lock_guard lock(m_mutex);
    m_finished = true;
    m_records_cv.notify_all();
}

IntervalRecord PingSession::make_record(const IntervalData& data, const Histogram* pong, Nanos start,
                                        Nanos end, IntervalRecord::Kind kind) {
    IntervalRecord r;
    r.kind = kind;
    r.t_s = to_seconds(end - m_run_start);
    r.duration_s = to_seconds(end - start);
    r.target_rate = m_params.rate.load();
    r.achieved_rate = r.duration_s > 0 ? static_cast<double>(data.sent) / r.duration_s : 0;
    r.payload = m_params.payload.load();
    r.tasks = m_params.tasks.load();
    r.set_counts(data);
    r.set_stats(stats_of(data.rtt));
    r.set_send_lag(data.send_lag);
    r.rtt_ns = std::make_shared<const Histogram>(data.rtt);
    r.burst = m_config.burst;
    if (r.burst > 1) {
        r.first = stats_of(data.rtt_first);
        r.rest = stats_of(data.rtt_rest);
        r.rtt_first_ns = std::make_shared<const Histogram>(data.rtt_first);
        r.rtt_rest_ns = std::make_shared<const Histogram>(data.rtt_rest);
    }
    r.split_available = m_split_available;
    r.peer_split_available = m_peer_split_available;
    if (r.has_split()) {
        r.split = split_stats_of(data.split);
        if (r.has_peer_split() && pong)
            set_peer_side(r.split, *pong);
        // Every record carries the parts' histograms (the window shows each part's distribution);
        // an interval's pong residence comes from the pong, not from the ping's data.
        auto parts = std::make_shared<SplitData>(data.split);
        if (pong && kind == IntervalRecord::Kind::Interval)
            parts->pong = *pong;
        r.split_ns = std::move(parts);
    }
    r.engine = std::string(to_string(m_config.engine));
    r.ping_cpus = m_ping_cpus;
    // A separate peer's placement is known only when whoever started it read it back (the window does).
    r.pong_cpus = !m_config.peer                     ? m_pong_cpus
                  : !m_config.pong_placement.empty() ? m_config.pong_placement
                  : !m_config.pong_cpu.empty()       ? format_cpu_list(m_config.pong_cpu) // as the user said
                                                     : std::string("unknown");
    return r;
}

void PingSession::publish(IntervalRecord record) {
    std::lock_guard lock(m_mutex);
    if (record.kind == IntervalRecord::Kind::Interval) {
        record.changes = std::move(m_pending_changes);
        m_pending_changes.clear();
    }
    // Judged with the changes in (a rate change within a record blurs its achieved rate); a summary
    // is saturated when any of its intervals was.
    record.saturated = instrument_saturated(record, m_config.open_loop) ||
                       (record.kind == IntervalRecord::Kind::Summary && m_any_saturated);
    m_any_saturated = m_any_saturated || record.saturated;
    if (m_records.size() >= kMaxQueuedRecords)
        m_records.pop_front();
    m_records.push_back(std::move(record));
    m_records_cv.notify_all();
}

void PingSession::record_change(std::string key, std::string value, Nanos at) {
    std::lock_guard lock(m_mutex);
    const double t_s = m_run_start ? to_seconds(std::max<Nanos>(0, (at ? at : now_ns()) - m_run_start)) : 0.0;
    ParamChange c{t_s, std::move(key), std::move(value)};
    m_pending_changes.push_back(c);
    m_all_changes.push_back(std::move(c));
}

void PingSession::set_rate(double rate) {
    std::lock_guard control(m_control);
    PingConfig probe_config = m_config;
    probe_config.rate = rate;
    probe_config.rate_ceiling = m_config.highest_rate(); // the in-flight table's size is fixed at start
    validate(probe_config);
    m_params.rate = rate;
    m_params.bump();
    record_change("rate", format_rate(rate));
}

void PingSession::set_payload(std::size_t bytes) {
    std::lock_guard control(m_control);
    check_payload(bytes, m_config.effective_transport());
    m_params.payload = bytes;
    m_params.bump();
    record_change("payload", format_size(bytes));
}

void PingSession::set_tasks(int tasks) {
    std::lock_guard control(m_control);
    if (tasks < 0 || tasks > max_tasks(m_config.engine))
        throw std::invalid_argument(fmt::format("tasks {} is out of range: the {} engine runs 0 to {}", tasks,
                                                to_string(m_config.engine), max_tasks(m_config.engine)));
    m_params.tasks = tasks;
    m_params.bump();
    // Marked when made: 1000 working tasks starve this thread (the mark was 1.7-2.8 s late here).
    const Nanos at = now_ns();
    try {
        if (m_engine)
            m_engine->tasks_changed();
    } catch (const ThreadStartError& e) {
        // What runs is what the records say: the count that started, not the one asked for.
        const int running = m_params.tasks.load();
        m_params.bump();
        record_change("tasks", std::to_string(running), at);
        throw std::runtime_error(fmt::format("tasks {}: only {} run: {}", tasks, running, e.what()));
    }
    record_change("tasks", std::to_string(tasks), at);
}

void PingSession::set_task_work(Nanos work) {
    std::lock_guard control(m_control);
    PingConfig probe_config = m_config;
    probe_config.task_work = work;
    validate(probe_config);
    m_params.task_work = work;
    m_params.bump();
    record_change("task-work", format_duration(work));
}

void PingSession::set_task_period(Nanos period) {
    std::lock_guard control(m_control);
    PingConfig probe_config = m_config;
    probe_config.task_period = period;
    validate(probe_config);
    m_params.task_period = period;
    m_params.bump();
    record_change("task-period", format_duration(period));
}

void PingSession::apply(std::string_view key, std::string_view value) {
    if (key == "rate")
        set_rate(parse_rate(value));
    else if (key == "payload")
        set_payload(parse_size(value));
    else if (key == "tasks")
        set_tasks(parse_tasks(value, m_config.engine));
    else if (key == "task-work")
        set_task_work(parse_duration(value));
    else if (key == "task-period")
        set_task_period(parse_duration(value));
    else
        throw std::invalid_argument(fmt::format(
            "unknown setting '{}' (expected rate, payload, tasks, task-work or task-period)", key));
}

} // namespace le
