// Execution models side by side: every engine at several rates and compute-task counts, one
// latency-ping run per cell (in-process pong with the same engine), printed as one table.
//
// This is the study's comparison redone with the fixed tool: RTT p50/p99 and the *achieved* rate of
// each cell, so an engine that cannot keep up shows it in msg/s instead of hiding it. No targets:
// the ratio targets live in bench_pingpong; here the finding is the shape of the table, plus one
// measured line per engine for "degrades under compute tasks" (p50 at 10k/s, most tasks vs none).
//
// Placement is fixed by default (ping and its tasks on CPU 0, pong on CPU 1) because on a small VM
// placement alone moves loopback RTT by several times; the header states it.
//
// Exit status: 0 when every cell produced a summary (even one of zero round trips, which is a
// measured outcome); 1 otherwise (the table is still printed); 2 on bad usage.
#include "bench_support.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#ifndef LE_PING_PATH
#define LE_PING_PATH "latency-ping"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kWarmup = "0.5s";
constexpr double kWarmupS = 0.5;
// Covers start-up (task calibration) and a cell whose 1000 tasks make stopping slow, but a hung
// run still cannot stall the whole table.
constexpr double kRunSlackS = 30;

struct Options {
    double duration = 2.0;
    std::vector<std::string> engines{"blocking", "asio",         "asio-pool", "spin",
                                     "uring",    "uring-sqpoll", "libuv",     "asio-uring"};
    std::vector<std::string> rates{"100", "10k", "inf"};
    std::vector<int> tasks{0, 10, 100, 1000};
    std::string transport = "tcp";
    std::string placement = "split";
    std::string ping = LE_PING_PATH;
};

struct Cell {
    // NoRoundTrip is a measured outcome (the engine got no echo back in the run: 0 msg/s), unlike
    // TimedOut and Failed, where latency-ping gave no summary at all.
    enum class State { Ok, NoRoundTrip, TimedOut, Failed } state = State::Failed;
    double p50Us = 0, p99Us = 0, msgPerS = 0;
    long long sent = 0, lost = 0, errors = 0;
    double wallS = 0; // spawn to exit: shows when start-up, not the schedule, took the time
    bool ok() const { return state == State::Ok; }
};

std::vector<std::string> placementArgs(const std::string& placement) {
    if (placement == "split")
        return {"--cpu", "0", "--pong-cpu", "1"};
    if (placement == "same")
        return {"--cpu", "0", "--pong-cpu", "0"};
    return {};
}

std::string placementText(const std::string& placement) {
    if (placement == "split")
        return "ping and its tasks on CPU 0, pong on CPU 1";
    if (placement == "same")
        return "ping, its tasks and pong all on CPU 0";
    return "unpinned (left to the scheduler)";
}

constexpr const char* kFields[] = {"p50_us", "p99_us", "achieved_rate"};

Cell runCell(const Options& o, const std::string& engine, const std::string& rate, int tasks) {
    std::vector<std::string> argv{o.ping,
                                  "--transport",
                                  o.transport,
                                  "--engine",
                                  engine,
                                  "--rate",
                                  rate,
                                  "--tasks",
                                  std::to_string(tasks),
                                  "--duration",
                                  fmt::format("{}s", o.duration),
                                  "--warmup",
                                  kWarmup,
                                  "--format",
                                  "json"};
    for (auto& a : placementArgs(o.placement))
        argv.push_back(std::move(a));
    const auto t0 = Clock::now();
    const auto run = runToEnd(argv, o.duration + kWarmupS + kRunSlackS);
    Cell c;
    c.wallS = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!run)
        return c;
    const bool timedOut = !run->finished;
    if (timedOut)
        c.state = Cell::State::TimedOut;
    // The summary is the last line of type "summary"; intervals before it are not needed here.
    const std::string out = run->out.toStdString();
    nlohmann::json summary;
    for (size_t end = out.size(); !timedOut && end > 0 && summary.is_null();) {
        const size_t start = out.rfind('\n', end - 1);
        const size_t from = start == std::string::npos ? 0 : start + 1;
        auto j = nlohmann::json::parse(out.substr(from, end - from), nullptr, false);
        end = start == std::string::npos ? 0 : start;
        if (!j.is_discarded() && j.is_object() && j.value("type", "") == "summary")
            summary = std::move(j);
    }
    const bool usable =
        !summary.is_null() && std::all_of(std::begin(kFields), std::end(kFields), [&](auto key) {
            return summary.contains(key) && summary[key].is_number();
        });
    if (usable) {
        c.p50Us = summary["p50_us"].get<double>();
        c.p99Us = summary["p99_us"].get<double>();
        c.msgPerS = summary["achieved_rate"].get<double>();
        c.sent = summary.value("sent", 0LL);
        c.lost = summary.value("lost", 0LL);
        c.errors = summary.value("errors", 0LL);
        // A summary of zero round trips reports p50 0: not a fast result but none, shown as such.
        c.state = c.p50Us > 0 && c.msgPerS > 0 ? Cell::State::Ok : Cell::State::NoRoundTrip;
        if (!run->succeeded())
            fmt::print(stderr, "warning: latency-ping ended with {}: {}\n", describeExit(*run),
                       joinArgs(argv));
        return c;
    }
    fmt::print(stderr, "latency-ping gave no usable summary ({}{}): {}\n", describeExit(*run),
               timedOut ? ", timed out" : "", joinArgs(argv));
    return c;
}

std::string rateLabel(const std::string& rate) {
    return rate == "inf" ? "back-to-back" : rate + "/s";
}

std::string compactRate(double r) {
    if (r >= 1e6)
        return fmt::format("{:.2f}M", r / 1e6);
    if (r >= 1e4)
        return fmt::format("{:.1f}k", r / 1e3);
    return fmt::format("{:.0f}", r);
}

// "p50 / p99 us  msg/s": p50 and p99 to 3 significant-ish figures so the columns stay narrow.
std::string cellText(const Cell& c) {
    switch (c.state) {
    case Cell::State::Ok:
        break;
    case Cell::State::NoRoundTrip:
        return fmt::format("no round trip {:>7}", 0);
    case Cell::State::TimedOut:
        return "TIMED OUT";
    case Cell::State::Failed:
        return "FAILED";
    }
    auto us = [](double v) { return v < 100 ? fmt::format("{:.1f}", v) : fmt::format("{:.0f}", v); };
    return fmt::format("{:>6} / {:>6} {:>7}", us(c.p50Us), us(c.p99Us), compactRate(c.msgPerS));
}

[[noreturn]] void usage(const char* argv0, int code) {
    fmt::print(code ? stderr : stdout,
               "usage: {} [--duration SECONDS] [--engines blocking,asio,asio-pool,spin,uring,...]\n"
               "          [--rates 100,10k,inf] [--tasks 0,10,100,1000] [--transport tcp|udp|unix]\n"
               "          [--placement split|same|none] [--ping PATH]\n"
               "  each cell is one latency-ping run (in-process pong, same engine) of DURATION\n"
               "  after a 0.5 s warm-up; placement: split = ping CPU 0, pong CPU 1 (default);\n"
               "  same = both on CPU 0; none = left to the scheduler\n",
               argv0);
    std::exit(code);
}

Options parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const auto [name, value] = nextOption(argc, argv, i, usage);
        if (name == "-h" || name == "--help")
            usage(argv[0], 0);
        char* end = nullptr;
        if (name == "--duration") {
            o.duration = std::strtod(value.c_str(), &end);
            if (*end || !(o.duration > 0))
                usage(argv[0], 2);
        } else if (name == "--engines") {
            o.engines = splitList(value);
        } else if (name == "--rates") {
            // Checked by latency-ping itself; a bad rate fails its cells with latency-ping's message.
            o.rates = splitList(value);
        } else if (name == "--tasks") {
            o.tasks.clear();
            for (const auto& t : splitList(value)) {
                const long n = std::strtol(t.c_str(), &end, 10);
                if (*end || n < 0 || n > 100'000)
                    usage(argv[0], 2);
                o.tasks.push_back(int(n));
            }
        } else if (name == "--transport") {
            if (value != "tcp" && value != "udp" && value != "unix")
                usage(argv[0], 2);
            o.transport = value;
        } else if (name == "--placement") {
            if (value != "split" && value != "same" && value != "none")
                usage(argv[0], 2);
            o.placement = value;
        } else if (name == "--ping") {
            o.ping = value;
        } else {
            fmt::print(stderr, "unknown option {}\n", name);
            usage(argv[0], 2);
        }
    }
    if (o.engines.empty() || o.rates.empty() || o.tasks.empty())
        usage(argv[0], 2);
    return o;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parseOptions(argc, argv);
    QCoreApplication app(argc, argv); // for QProcess
    const size_t cells = o.engines.size() * o.rates.size() * o.tasks.size();
    fmt::print(
        "engines benchmark: {} over loopback, 64 B, closed loop, in-process pong with the same engine\n",
        o.transport);
    fmt::print("placement: {}\n", placementText(o.placement));
    fmt::print("compute tasks: 20 us of work every 1 ms each (10 = 0.2 cores, 100 = 2, 1000 = 20)\n");
    fmt::print("{} cells x ({} s + {} s warm-up) = about {:.0f} s\n", cells, o.duration, kWarmupS,
               double(cells) * (o.duration + kWarmupS + 0.3));
    // Two busy-pollers on one core only take turns by time slice: spin's figures would measure the
    // scheduler, not the engine.
    if (o.placement == "same" && std::find(o.engines.begin(), o.engines.end(), "spin") != o.engines.end())
        fmt::print(
            "warning: --placement same puts the spin ping and the spin pong on one core; they can only "
            "take turns by time slice, so spin figures are not meaningful (use --placement split)\n");
    std::fflush(stdout);

    // Engine-major order: one engine's cells run close together in time, so a load change on the
    // machine shows as one odd engine row rather than noise spread over the whole table.
    std::map<std::tuple<std::string, int, std::string>, Cell> results;
    size_t done = 0;
    bool failed = false;
    for (const auto& engine : o.engines)
        for (int tasks : o.tasks)
            for (const auto& rate : o.rates) {
                const Cell c = runCell(o, engine, rate, tasks);
                failed = failed || c.state == Cell::State::TimedOut || c.state == Cell::State::Failed;
                results[{engine, tasks, rate}] = c;
                std::string extra;
                if (c.lost || c.errors)
                    extra += fmt::format("  (lost {}, errors {})", c.lost, c.errors);
                // A run far longer than its schedule spent the time starting or stopping (e.g.
                // creating 1000 task threads on one core), which the figures alone do not show.
                const double schedule = o.duration + kWarmupS;
                if (c.wallS > schedule + 3)
                    extra += fmt::format("  (run took {:.1f} s for a {:.1f} s schedule)", c.wallS, schedule);
                const std::string head = fmt::format("[{:>2}/{}] {:<9} {:>4} tasks {:>12}:", ++done, cells,
                                                     engine, tasks, rateLabel(rate));
                switch (c.state) {
                case Cell::State::Ok:
                    fmt::print("{} p50 {:8.1f} us  p99 {:8.1f} us  {:>9.0f} msg/s{}\n", head, c.p50Us,
                               c.p99Us, c.msgPerS, extra);
                    break;
                case Cell::State::NoRoundTrip:
                    fmt::print("{} no round trip ({} sent){}\n", head, c.sent, extra);
                    break;
                case Cell::State::TimedOut:
                    fmt::print("{} TIMED OUT (killed after {:.0f} s){}\n", head, c.wallS, extra);
                    break;
                case Cell::State::Failed:
                    fmt::print("{} FAILED{}\n", head, extra);
                    break;
                }
                std::fflush(stdout);
            }

    // The table: rows engine/tasks, columns rates; each cell p50 / p99 in us and achieved msg/s.
    constexpr int kCellWidth = 24;
    fmt::print("\nRTT p50 / p99 (us) and achieved msg/s; {}, {}\n", o.transport, placementText(o.placement));
    std::string header = fmt::format("{:<9} {:>5} ", "engine", "tasks");
    for (const auto& rate : o.rates)
        header += fmt::format("| {:^{}} ", rateLabel(rate), kCellWidth);
    auto trimmed = [](std::string line) { return line.erase(line.find_last_not_of(' ') + 1); };
    header = trimmed(header);
    fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
    for (const auto& engine : o.engines)
        for (int tasks : o.tasks) {
            std::string row = fmt::format("{:<9} {:>5} ", engine, tasks);
            for (const auto& rate : o.rates)
                row += fmt::format("| {:>{}} ", cellText(results[{engine, tasks, rate}]), kCellWidth);
            fmt::print("{}\n", trimmed(row));
        }

    // "Degrades under compute tasks", measured: p50 with the most tasks over p50 with none, at 10k/s
    // (a rate every engine sustains unloaded, so the change is the tasks' doing, not saturation).
    const int most = *std::max_element(o.tasks.begin(), o.tasks.end());
    const bool haveBase = std::find(o.tasks.begin(), o.tasks.end(), 0) != o.tasks.end();
    const bool have10k = std::find(o.rates.begin(), o.rates.end(), "10k") != o.rates.end();
    fmt::print("\nunder compute tasks at 10k/s: p50 with {} tasks / p50 with 0 tasks\n", most);
    if (!haveBase || most == 0 || !have10k) {
        fmt::print("  not measured (needs tasks 0 and more, and rate 10k)\n");
    } else {
        for (const auto& engine : o.engines) {
            const Cell& base = results[{engine, 0, "10k"}];
            const Cell& loaded = results[{engine, most, "10k"}];
            if (base.ok() && loaded.state == Cell::State::NoRoundTrip) {
                fmt::print("  {:<9} p50 {:8.1f} -> none: no round trip with {} tasks   msg/s {:>7} -> 0\n",
                           engine, base.p50Us, most, compactRate(base.msgPerS));
                continue;
            }
            if (!base.ok() || !loaded.ok()) {
                fmt::print("  {:<9} no data\n", engine);
                continue;
            }
            fmt::print("  {:<9} p50 {:8.1f} -> {:8.1f} us  = {:7.2f}x   msg/s {:>7} -> {:>7}\n", engine,
                       base.p50Us, loaded.p50Us, loaded.p50Us / base.p50Us, compactRate(base.msgPerS),
                       compactRate(loaded.msgPerS));
        }
    }
    if (failed)
        fmt::print("\nsome cells produced no summary (see above)\n");
    return failed ? 1 : 0;
}
