#include "sweep_command.h"

#include "cli_support.h"
#include "hlog_writer.h"
#include "kernel_split.h"
#include "split_list.h"
#include "sweep_runner.h"
#include "units.h"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

using namespace le;

namespace {

std::vector<std::string> split(const std::string& list) {
    auto out = split_list(list);
    if (out.empty())
        throw std::invalid_argument(fmt::format("'{}' lists nothing", list));
    return out;
}

// Applies one list option, naming it in the error: "--rates: invalid rate 'x' (...)".
template <class T, class Parse>
void parse_list(const std::string& option, const std::string& text, std::vector<T>& out, Parse&& parse) {
    if (text.empty())
        return;
    try {
        out.clear();
        for (const auto& item : split(text))
            out.push_back(static_cast<T>(parse(item)));
    } catch (const std::exception& e) {
        throw std::invalid_argument(fmt::format("{}: {}", option, e.what()));
    }
}

std::string target(double rate) {
    return rate == kRateInf ? std::string("back-to-back") : fmt::format("at {}/s", format_rate(rate));
}

std::string clock_text(double seconds) {
    const long long s = std::llround(seconds);
    if (s >= 3600)
        return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
    if (s >= 60)
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

} // namespace

void SweepCommand::add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "sweep", "measure a grid of rates x payloads x tasks x transports x engines (the study's figure), "
                 "with the system ping as baseline; saves every point as it finishes");
    cmd->add_option("--preset", preset,
                    "study: rates 1..1M and inf, tasks 0/10/100/1000, 64 B, TCP and UDP, 60 s per point; "
                    "quick: about a minute; frameworks: rates 100..100k and inf, tasks 0/10/100, engines "
                    "blocking, asio, uring, uring-sqpoll, libuv, spin, TCP and UDP, 1 s per point (~4 min). "
                    "Other options change the preset");
    cmd->add_option("--rates", rates, "messages per second, comma-separated: 1,10,1k,1M,inf");
    cmd->add_option("--tasks", tasks, "compute task counts: 0,10,100,1000");
    cmd->add_option("--payloads", payloads, "message sizes: 64,1KiB");
    cmd->add_option("--transports", transports, "tcp, udp, unix (comma-separated)");
    cmd->add_option("--engines", engines, std::string(engine_names()) + " (comma-separated)");
    cmd->add_option("--duration", duration, "measured time per point (default 5s)");
    cmd->add_option("--warmup", warmup, "time before measuring each point (default 500ms)");
    cmd->add_option("--pause", pause, "idle time between points (default 0)");
    cmd->add_option("--repeat", repeat, "measure every point N times")->check(CLI::Range(1, 1000));
    cmd->add_option("--out", out, "write the results to FILE.csv or FILE.json after every point");
    cmd->add_option("--hlog", hlog,
                    "also write each point's histogram (ns) to FILE as an HdrHistogram interval log, one "
                    "line per point tagged with its key (points measured by this run)");
    cmd->add_flag("--resume", resume,
                  "continue the sweep in --out: points done there are not measured again");
    cmd->add_flag("--force", force, "overwrite an existing --out file");
    cmd->add_flag("--icmp,!--no-icmp", icmp, "also run the system ping at each rate (default on)");
    cmd->add_option("--icmp-host", icmp_host, "host for the ICMP baseline (default: the peer's host)");
    cmd->add_option("--ping-binary", ping_binary, "the system ping to run")->capture_default_str();
    cmd->add_option("--peer", peer,
                    "sweep against this echo peer (tcp://HOST:PORT, ...) instead of a "
                    "local pong started for each point");
    cmd->add_flag("--open-loop", open_loop, "send on schedule (inf points stay closed loop)");
    cmd->add_flag("--kernel-timestamps", kernel_timestamps,
                  "split every point's round trips into send, wire and wake by kernel timestamps; the "
                  "table and the --out file carry the parts' percentiles. Works with: " +
                      std::string(kKernelSplitSupport));
}

int SweepCommand::run() const {
    SweepSpec spec;
    try {
        if (!preset.empty())
            spec = le::preset(preset);
        if (!peer.empty()) {
            spec.base.peer = parse_endpoint(peer);
            spec.transports = {spec.base.peer->transport}; // a remote peer speaks one transport
        }
        parse_list("--rates", rates, spec.rates, [](const std::string& s) { return parse_rate(s); });
        parse_list("--payloads", payloads, spec.payloads, [](const std::string& s) { return parse_size(s); });
        parse_list("--tasks", tasks, spec.tasks, [](const std::string& s) {
            const long long n = parse_count(s);
            if (n > kMaxTasks)
                throw std::invalid_argument(fmt::format("tasks {} is out of range (0 to {})", n, kMaxTasks));
            return static_cast<int>(n);
        });
        parse_list("--transports", transports, spec.transports,
                   [](const std::string& s) { return parse_transport(s); });
        parse_list("--engines", engines, spec.engines, [](const std::string& s) { return parse_engine(s); });
        if (!duration.empty())
            spec.duration = cli::convert<Nanos>("--duration", duration, parse_duration);
        if (!warmup.empty())
            spec.warmup = cli::convert<Nanos>("--warmup", warmup, parse_duration);
        if (!pause.empty())
            spec.pause = cli::convert<Nanos>("--pause", pause, parse_duration);
        if (repeat > 0)
            spec.repeat = repeat;
        spec.icmp = icmp;
        spec.icmp_host = icmp_host;
        if (icmp_host.starts_with('-')) // it goes to the system ping's command line
            throw std::invalid_argument(fmt::format("--icmp-host '{}': not a host name", icmp_host));
        spec.base.open_loop = open_loop;
        spec.base.kernel_timestamps = kernel_timestamps;
        validate(spec);
        if (resume && out.empty())
            throw std::invalid_argument("--resume needs --out FILE (the sweep to continue)");
        if (!out.empty() && !out.ends_with(".csv") && !out.ends_with(".json"))
            throw std::invalid_argument(fmt::format("--out: '{}' must end in .csv or .json", out));
        if (!out.empty() && !resume && !force && std::filesystem::exists(out))
            throw std::invalid_argument(
                fmt::format("--out: {} exists: --resume continues it, --force overwrites it", out));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping sweep: error: %s\n", e.what());
        return cli::kExitUsage;
    }

    const auto points = expand(spec);
    double planned_s = 0; // in seconds: a sum of nanoseconds overflows for absurd durations
    for (const auto& p : points)
        planned_s += to_seconds(planned_time(spec, p));
    std::fprintf(stderr,
                 "latency-ping sweep: %zu points (%zu rates x %zu payloads x %zu task counts x %zu "
                 "transports x %zu engines x %d%s), %s each after %s warm-up; about %s%s\n",
                 points.size(), spec.rates.size(), spec.payloads.size(), spec.tasks.size(),
                 spec.transports.size(), spec.engines.size(), spec.repeat,
                 spec.icmp ? ", plus ICMP at each rate" : "", format_duration(spec.duration).c_str(),
                 format_duration(spec.warmup).c_str(), clock_text(planned_s).c_str(),
                 out.empty() ? "" : fmt::format("; saving to {}", out).c_str());

    std::unique_ptr<HlogWriter> hlog_file;
    if (!hlog.empty()) {
        try {
            hlog_file = std::make_unique<HlogWriter>(hlog, wall_clock_s(),
                                                     "[latency-ping sweep: one line per point]");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping sweep: error: --hlog: %s\n", e.what());
            return cli::kExitUsage;
        }
    }

    cli::install_stop_signals();
    std::atomic<bool> stop{false};
    // The runner polls `stop`; a watcher turns the signal flag into it.
    std::atomic<bool> finished{false};
    const bool tty = isatty(fileno(stderr));
    // On a terminal the progress line ticks every second while a point runs (points can be 60 s).
    std::mutex print_mutex;
    SweepProgress last;
    Nanos last_at = now_ns();
    const auto draw = [&](const SweepProgress& p, double since) {
        const std::size_t done = p.done + p.skipped;
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %3.0f%%  elapsed %s  ETA %s  %s", done, p.total,
                     p.total ? 100.0 * done / p.total : 100.0, clock_text(p.elapsed_s + since).c_str(),
                     clock_text(std::max(0.0, p.eta_s - since)).c_str(), p.current.c_str());
        std::fflush(stderr);
    };
    std::thread watcher([&] {
        Nanos next_draw = now_ns() + kNanosPerSecond;
        while (!finished) {
            if (cli::stop_requested())
                stop = true;
            if (tty && now_ns() >= next_draw) {
                const std::lock_guard lock(print_mutex);
                if (last.total > 0)
                    draw(last, to_seconds(now_ns() - last_at));
                next_draw = now_ns() + kNanosPerSecond;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    SweepCallbacks cb;
    cb.progress = [&](const SweepProgress& p) {
        const std::lock_guard lock(print_mutex);
        last = p;
        last_at = now_ns();
        if (tty)
            draw(p, 0);
        else if (p.done == 0 && !p.current.empty() && p.skipped > 0)
            std::fprintf(stderr, "resuming: %zu of %zu points already done\n", p.skipped, p.total);
    };
    cb.point = [&](const SweepPointResult& r) {
        const std::lock_guard lock(print_mutex);
        const std::string line =
            r.error.empty() ? fmt::format("{} {}: achieved {:.1f}/s, p50 {:.2f} us, p99 {:.2f} us, lost {}",
                                          r.series(), target(r.target_rate), r.achieved_rate,
                                          r.percentile_us(50), r.percentile_us(99), r.lost)
                            : fmt::format("{} {}: {}", r.series(), target(r.target_rate), r.error);
        if (tty)
            std::fprintf(stderr, "\r\033[K%s\n", line.c_str());
        else
            std::fprintf(stderr, "%s\n", line.c_str());
        if (hlog_file && !r.rtt.empty()) {
            try {
                hlog_file->write(r.key, r.finished_at_s - r.duration_s, r.duration_s, r.rtt);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "latency-ping sweep: --hlog: %s (no more points go there)\n", e.what());
                hlog_file.reset();
            }
        }
    };
    SweepFile result;
    SweepRunOptions options{out, resume, ping_binary};
    int rc = cli::kExitOk;
    try {
        result = run_sweep(spec, options, cb, &stop);
    } catch (const std::exception& e) {
        finished = true;
        watcher.join();
        if (tty)
            std::fputs("\n", stderr);
        std::fprintf(stderr, "latency-ping sweep: error: %s\n", e.what());
        return cli::kExitFailure;
    }
    finished = true;
    watcher.join();
    if (tty)
        std::fputs("\r\033[K", stderr);
    std::fputs(format_sweep_table(result).c_str(), stdout);
    std::size_t measured = 0;
    for (const auto& p : result.points) {
        if (!p.icmp && !p.error.empty())
            rc = cli::kExitFailure; // the ICMP baseline not being permitted is a note, not a failure
        measured += p.ok();
    }
    if (stop) {
        std::fprintf(stderr, "latency-ping sweep: cancelled with %zu of %zu points done%s\n",
                     result.points.size(), points.size(),
                     out.empty() ? "" : fmt::format("; --resume --out {} continues", out).c_str());
        rc = cli::kExitFailure;
    } else if (rc != cli::kExitOk) {
        std::fprintf(stderr, "latency-ping sweep: some points failed (see the table)%s\n",
                     out.empty() ? "" : "; --resume measures them again");
    }
    if (!out.empty())
        std::fprintf(stderr, "latency-ping sweep: %zu points in %s\n", measured, out.c_str());
    return rc;
}
