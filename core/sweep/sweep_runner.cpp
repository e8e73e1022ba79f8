#include "sweep_runner.h"

#include "icmp_baseline.h"
#include "ping_session.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace le {
namespace {

// Session start (pong, connect, probe, task threads) costs this much on top of the planned time:
// the first ETA guess before any point has finished.
constexpr double kStartOverheadS = 0.3;

std::string rate_label(double rate) {
    return rate == kRateInf ? std::string("back-to-back") : fmt::format("at {}/s", format_rate(rate));
}

std::string describe(const SweepPoint& p) {
    if (p.icmp)
        return fmt::format("ICMP ping {}", rate_label(p.config.rate));
    return fmt::format("{} {} {} tasks {} {}{}", to_string(p.config.engine),
                       to_string(p.config.effective_transport()), p.config.tasks,
                       format_size(p.config.payload), rate_label(p.config.rate),
                       p.repetition > 0 ? fmt::format(" #{}", p.repetition + 1) : "");
}

bool stopped(const std::atomic<bool>* stop) {
    return stop && stop->load();
}

} // namespace

std::string icmp_host(const SweepSpec& spec) {
    if (!spec.icmp_host.empty())
        return spec.icmp_host;
    if (spec.base.peer && spec.base.peer->transport != Transport::Unix)
        return spec.base.peer->host;
    return "127.0.0.1";
}

SweepPointResult run_ping_point(const SweepPoint& point, const std::atomic<bool>* stop) {
    SweepPointResult r;
    const PingConfig& c = point.config;
    r.key = point.key();
    r.transport = std::string(to_string(c.effective_transport()));
    r.engine = std::string(to_string(c.engine));
    r.tasks = c.tasks;
    r.payload = c.payload;
    r.target_rate = c.rate;
    r.repetition = point.repetition;
    try {
        PingSession session(c);
        session.start();
        const Nanos give_up = now_ns() + c.warmup + c.duration + 30 * kNanosPerSecond;
        IntervalRecord rec;
        bool have_summary = false;
        bool stopping = false;
        while (!have_summary) {
            if (!stopping && stopped(stop)) {
                stopping = true;
                session.stop();
            }
            if (session.next_record(rec, 50 * kNanosPerMilli)) {
                have_summary = rec.kind == IntervalRecord::Kind::Summary;
            } else if (session.finished()) {
                break;
            } else if (now_ns() > give_up && !stopping) {
                stopping = true;
                session.stop();
                r.error = "the point did not finish in time";
            }
        }
        if (stopping && stopped(stop)) {
            r.error = "cancelled";
            return r;
        }
        if (const std::string e = session.error(); !e.empty())
            r.error = e;
        if (have_summary) {
            r.achieved_rate = rec.achieved_rate;
            r.duration_s = rec.duration_s;
            r.sent = rec.sent;
            r.received = rec.received;
            r.lost = rec.lost;
            r.errors = rec.errors;
            r.cpu_percent = rec.cpu_percent;
            if (rec.rtt_ns)
                r.rtt = *rec.rtt_ns;
            r.split_available = rec.split_available;
            r.peer_split_available = rec.peer_split_available;
            r.split = rec.split;
        } else if (r.error.empty()) {
            r.error = "the run ended without a summary";
        }
        if (r.error.empty() && r.received == 0)
            r.error = "no echo received";
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

SweepFile run_sweep(const SweepSpec& spec, const SweepRunOptions& o, const SweepCallbacks& cb,
                    const std::atomic<bool>* stop) {
    validate(spec);
    SweepFile file;
    file.spec = spec;
    if (o.resume && !o.out.empty() && std::filesystem::exists(o.out)) {
        SweepFile old = load_sweep(o.out);
        if (measurement_settings(old.spec) != measurement_settings(spec))
            throw std::runtime_error(fmt::format(
                "{} was measured with other settings ({}); resume with the same settings or write another "
                "file (this run: {})",
                o.out, measurement_settings(old.spec).dump(), measurement_settings(spec).dump()));
        file.points = std::move(old.points);
        file.started = old.started;
        file.host = old.host;
    }
    if (file.started.empty())
        file.started = sweep_timestamp();
    if (file.host.empty())
        file.host = sweep_host_name();
    if (!o.out.empty())
        save_sweep(o.out, file); // fails now, not after the first point, when it cannot be written

    const std::vector<SweepPoint> points = expand(spec);
    SweepProgress progress;
    progress.total = points.size();
    double remaining_planned = 0;
    for (const auto& p : points) {
        if (file.done(p.key()))
            ++progress.skipped;
        else
            remaining_planned += to_seconds(planned_time(spec, p)) + kStartOverheadS;
    }
    const Nanos started = now_ns();
    double planned_done = 0;
    const auto report = [&](std::string current) {
        progress.elapsed_s = to_seconds(now_ns() - started);
        const double factor = planned_done > 0 ? progress.elapsed_s / planned_done : 1.0;
        progress.eta_s = std::max(0.0, remaining_planned * factor);
        progress.current = std::move(current);
        if (cb.progress)
            cb.progress(progress);
    };
    bool first = true;
    for (const SweepPoint& point : points) {
        if (stopped(stop))
            break;
        if (file.done(point.key()))
            continue;
        if (!first && spec.pause > 0) {
            const Nanos until = now_ns() + spec.pause;
            while (now_ns() < until && !stopped(stop))
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (stopped(stop))
                break;
        }
        first = false;
        report(describe(point));
        SweepPointResult r = point.icmp ? run_icmp_point(icmp_host(spec), point.config.rate, spec.duration,
                                                         stop, o.ping_binary)
                                        : run_ping_point(point, stop);
        if (stopped(stop))
            break; // the point in flight is incomplete: not saved
        r.key = point.key();
        r.repetition = point.repetition;
        r.finished_at_s = to_seconds(now_ns() - started);
        // A point measured again replaces its failed attempt.
        std::erase_if(file.points, [&](const SweepPointResult& p) { return p.key == r.key; });
        file.points.push_back(r);
        if (!o.out.empty())
            save_sweep(o.out, file);
        const double planned = to_seconds(planned_time(spec, point)) + kStartOverheadS;
        planned_done += planned;
        remaining_planned -= planned;
        ++progress.done;
        if (cb.point)
            cb.point(r);
        report({});
    }
    return file;
}

} // namespace le
