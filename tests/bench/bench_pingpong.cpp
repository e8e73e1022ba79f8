// Ping-pong speed benchmark: latency-ping/latency-pong against ref_pingpong on loopback.
//
// Absolute RTTs depend on the machine, so the targets are ratios against a reference measured in
// the same run. Runs alternate (reference, ours, reference, ours, ...) so that drift in machine
// load or CPU frequency hits both sides alike, and medians over pairs keep one noisy run from
// deciding the outcome. The reference and ours are pinned alike (see g_clientCpu).
//
// Each engine is judged against the reference of its own kind: the sleeping engines (blocking, asio,
// asio-pool, uring, libuv, asio-uring) against the blocking ref_pingpong (what a plain hand-written
// tool gets), spin and uring-sqpoll against ref_pingpong in spin mode, because a busy-poller beats
// any sleeper and a blocking reference would flatter it.
//
// Exit status: 0 even when a target is missed (this is a benchmark, not a test); 1 when a run
// produced no usable result; 2 on bad usage.
#include "bench_support.h"

#include <QCoreApplication>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#ifndef LE_REF_PATH
#define LE_REF_PATH "ref_pingpong"
#endif

namespace {

constexpr const char* kPayload = "64";
// Generous: covers a slow machine, but a hung run still ends the benchmark.
constexpr double kRunSlackS = 30;

struct Options {
    int pairs = 3;
    double duration = 5.0;
    std::vector<std::string> transports{"tcp", "udp"};
    std::vector<std::string> engines{"blocking", "asio",         "asio-pool", "spin",
                                     "uring",    "uring-sqpoll", "libuv",     "asio-uring"};
    std::string ping = LE_PING_PATH;
    std::string pong = LE_PONG_PATH;
    std::string ref = LE_REF_PATH;
    // Also run latency-ping with --kernel-timestamps in each pair and print what they cost (issue 15:
    // p50 <= 1.10x and msg/s >= 0.90x of the same engine without).
    bool timestamps = false;
};

struct Target {
    std::optional<double> maxP50Ratio;
    std::optional<double> minRateRatio;
};

// The targets, p50 at back-to-back: asio and asio-pool <= 1.15x the blocking reference;
// blocking must also keep 95% of the reference's msg/s. Issue 14: spin at the busy-polling
// reference's floor, p50 <= 1.03x and msg/s >= 0.97x.
const std::map<std::string, Target> kTargets{
    {"blocking", {1.05, 0.95}},
    {"asio", {1.15, std::nullopt}},
    {"asio-pool", {1.15, std::nullopt}},
    {"spin", {1.03, 0.97}},
    // Issue 16: uring and libuv p50 <= 1.10x the blocking reference, uring-sqpoll <= 1.10x the
    // busy-polling one; asio-uring as asio.
    {"uring", {1.10, std::nullopt}},
    {"libuv", {1.10, std::nullopt}},
    {"uring-sqpoll", {1.10, std::nullopt}},
    {"asio-uring", {1.15, std::nullopt}},
};

// Which ref_pingpong mode an engine is compared with.
bool spinReference(const std::string& engine) {
    return engine == "spin" || engine == "uring-sqpoll";
}

struct Sample {
    double p50Us = 0;
    double msgPerS = 0;
};

// CPU for the next spawned client/server (-1: leave to the scheduler). Both the reference and ours
// get the same placement, because placement alone moves loopback RTT by 4x on a 2-vCPU machine.
int g_clientCpu = 0;
int g_serverCpu = 1;

// The lines a finished client printed.
std::vector<std::string> lines(const Result& r) {
    std::vector<std::string> v;
    for (const QByteArray& line : r.out.split('\n'))
        if (!line.isEmpty())
            v.push_back(line.toStdString());
    return v;
}

// A server on g_serverCpu that says it is ready with a line beginning with `readyPrefix`; returns
// the rest of that line, or nothing (said on stderr).
std::optional<std::string> startServer(ServerChild& server, const std::vector<std::string>& argv,
                                       const char* readyPrefix) {
    benchChild(g_serverCpu)(server.proc);
    const QStringList args = toQStringList(argv);
    QString error;
    const QString ready =
        server.startAndWait(args.front(), args.mid(1), QString::fromLatin1(readyPrefix), &error);
    if (ready.isEmpty()) {
        fmt::print(stderr, "no readiness line ({}) from: {}\n", error.toStdString(), joinArgs(argv));
        return std::nullopt;
    }
    return ready.toStdString();
}

std::optional<Sample> runReference(const Options& o, const std::string& transport, bool spin) {
    std::vector<std::string> serverArgs{o.ref, "server", transport, "0"};
    if (spin)
        serverArgs.push_back("spin");
    ServerChild server;
    const auto ready = startServer(server, serverArgs, "listening ");
    if (!ready)
        return std::nullopt;
    const int port = std::atoi(ready->c_str());
    if (port <= 0) {
        fmt::print(stderr, "unexpected readiness line from reference server: 'listening {}'\n", *ready);
        server.stop();
        return std::nullopt;
    }
    std::vector<std::string> clientArgs{o.ref,
                                        "client",
                                        transport,
                                        "127.0.0.1",
                                        std::to_string(port),
                                        kPayload,
                                        fmt::format("{}", o.duration)};
    if (spin)
        clientArgs.push_back("spin");
    const auto run = runToEnd(clientArgs, o.duration + 0.5 + kRunSlackS, g_clientCpu);
    server.stop();
    if (!run)
        return std::nullopt;
    Sample s;
    size_t count = 0;
    const std::vector<std::string> out = lines(*run);
    if (!run->finished || out.empty() ||
        std::sscanf(out.back().c_str(), "p50_us=%lf msg_per_s=%lf count=%zu", &s.p50Us, &s.msgPerS, &count) !=
            3) {
        fmt::print(stderr, "reference client gave no result ({}{}): {}\n", describeExit(*run),
                   run->finished ? "" : ", timed out", joinArgs(clientArgs));
        return std::nullopt;
    }
    return s;
}

std::optional<Sample> runOurs(const Options& o, const std::string& transport, const std::string& engine,
                              std::string& detail, bool timestamps = false) {
    const std::vector<std::string> pongArgs{o.pong, "--listen", transport + "://127.0.0.1:0", "--engine",
                                            engine};
    ServerChild pong;
    const auto url = startServer(pong, pongArgs, "listening on ");
    if (!url)
        return std::nullopt;
    const size_t colon = url->rfind(':');
    const int port = colon == std::string::npos ? 0 : std::atoi(url->c_str() + colon + 1);
    if (!url->starts_with(transport + "://") || port <= 0) {
        fmt::print(stderr, "unexpected readiness line from latency-pong: 'listening on {}'\n", *url);
        pong.stop();
        return std::nullopt;
    }
    const std::vector<std::string> pingArgs{o.ping,
                                            "--peer",
                                            fmt::format("{}://127.0.0.1:{}", transport, port),
                                            "--engine",
                                            engine,
                                            "--rate",
                                            "inf",
                                            "--payload",
                                            kPayload,
                                            "--duration",
                                            fmt::format("{}s", o.duration),
                                            "--warmup",
                                            "0.5s",
                                            "--format",
                                            "json"};
    std::vector<std::string> args = pingArgs;
    if (timestamps)
        args.push_back("--kernel-timestamps");
    const auto run = runToEnd(args, o.duration + 0.5 + kRunSlackS, g_clientCpu);
    pong.stop();
    // A pong that dies on its own (rather than by our SIGTERM) is worth knowing about even if the
    // ping still got its numbers.
    const QProcess::ExitStatus pongStatus = pong.proc.exitStatus();
    const int pongCode = pong.proc.exitCode();
    if (!(pongStatus == QProcess::CrashExit && pongCode == SIGTERM) &&
        !(pongStatus == QProcess::NormalExit && pongCode == 0))
        fmt::print(stderr, "warning: latency-pong ended with {}\n", describeExit(pongStatus, pongCode));
    if (!run)
        return std::nullopt;
    const std::vector<std::string> out = lines(*run);
    for (auto it = out.rbegin(); run->finished && it != out.rend(); ++it) {
        const auto j = nlohmann::json::parse(*it, nullptr, false);
        if (j.is_discarded() || !j.is_object() || j.value("type", "") != "summary")
            continue;
        if (!j.contains("p50_us") || !j["p50_us"].is_number() || !j.contains("achieved_rate") ||
            !j["achieved_rate"].is_number())
            break;
        for (const char* key : {"sent", "received", "lost", "errors"})
            if (j.contains(key))
                detail += fmt::format(" {} {}", key, j[key].dump());
        if (!run->succeeded())
            fmt::print(stderr, "warning: latency-ping ended with {}\n", describeExit(*run));
        const Sample sample{j["p50_us"].get<double>(), j["achieved_rate"].get<double>()};
        // A summary of zero round trips reports p50 0, which would pass any latency target.
        if (!(sample.p50Us > 0 && sample.msgPerS > 0)) {
            fmt::print(stderr, "latency-ping completed no round trip:{}\n", detail);
            return std::nullopt;
        }
        return sample;
    }
    fmt::print(stderr, "latency-ping gave no usable summary ({}{}): {}\n", describeExit(*run),
               run->finished ? "" : ", timed out", joinArgs(pingArgs));
    return std::nullopt;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Group {
    std::string transport, engine;
    std::vector<Sample> ref, ours, stamped; // stamped: ours with --kernel-timestamps
};

std::string verdict(bool pass) {
    return pass ? "PASS" : "MISS";
}

void printSummary(const Group& g) {
    auto medianOf = [](const std::vector<Sample>& v, double Sample::*field) {
        std::vector<double> xs;
        for (const auto& s : v)
            xs.push_back(s.*field);
        return median(xs);
    };
    fmt::print("\n{} / {}: medians over {} reference and {} latency-ping runs\n", g.transport, g.engine,
               g.ref.size(), g.ours.size());
    if (g.ref.empty() || g.ours.empty()) {
        fmt::print("  no data\n");
        return;
    }
    const double refP50 = medianOf(g.ref, &Sample::p50Us), oursP50 = medianOf(g.ours, &Sample::p50Us);
    const double refRate = medianOf(g.ref, &Sample::msgPerS), oursRate = medianOf(g.ours, &Sample::msgPerS);
    fmt::print("  {:<14} p50 {:9.2f} us   {:11.0f} msg/s\n",
               spinReference(g.engine) ? "reference spin" : "reference", refP50, refRate);
    fmt::print("  {:<14} p50 {:9.2f} us   {:11.0f} msg/s\n", "latency-ping", oursP50, oursRate);
    const auto it = kTargets.find(g.engine);
    const Target target = it == kTargets.end() ? Target{} : it->second;
    const double p50Ratio = oursP50 / refP50, rateRatio = oursRate / refRate;
    fmt::print("  p50 ratio   (ours/ref) {:6.3f}  {}\n", p50Ratio,
               target.maxP50Ratio ? fmt::format("{} (target <= {})", verdict(p50Ratio <= *target.maxP50Ratio),
                                                *target.maxP50Ratio)
                                  : "(no target)");
    fmt::print("  msg/s ratio (ours/ref) {:6.3f}  {}\n", rateRatio,
               target.minRateRatio
                   ? fmt::format("{} (target >= {})", verdict(rateRatio >= *target.minRateRatio),
                                 *target.minRateRatio)
                   : "(no target)");
    if (g.stamped.empty())
        return;
    const double stampedP50 = medianOf(g.stamped, &Sample::p50Us);
    const double stampedRate = medianOf(g.stamped, &Sample::msgPerS);
    fmt::print("  {:<14} p50 {:9.2f} us   {:11.0f} msg/s\n", "+ timestamps", stampedP50, stampedRate);
    fmt::print("  timestamps' cost: p50 ratio {:6.3f} {} (target <= 1.10), msg/s ratio {:6.3f} {} (target >= "
               "0.90)\n",
               stampedP50 / oursP50, verdict(stampedP50 / oursP50 <= 1.10), stampedRate / oursRate,
               verdict(stampedRate / oursRate >= 0.90));
}

[[noreturn]] void usage(const char* argv0, int code) {
    fmt::print(code ? stderr : stdout,
               "usage: {} [--pairs N] [--duration SECONDS] [--transports tcp,udp]\n"
               "          [--engines blocking,asio,asio-pool,spin] [--placement split|same|none]\n"
               "          [--ping PATH] [--pong PATH] [--ref PATH] [--kernel-timestamps]\n"
               "  --kernel-timestamps: also run latency-ping with it in each pair, print its cost\n"
               "  placement: split = client on CPU 0, server on CPU 1 (default, as in the study);\n"
               "             same = both on CPU 0; none = left to the scheduler (bimodal here)\n"
               "  engines: spin is compared with ref_pingpong in spin mode, the others with the\n"
               "           blocking ref_pingpong\n",
               argv0);
    std::exit(code);
}

Options parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--kernel-timestamps") { // a flag: nextOption() wants values
            o.timestamps = true;
            continue;
        }
        const auto [name, value] = nextOption(argc, argv, i, usage);
        if (name == "-h" || name == "--help")
            usage(argv[0], 0);

        char* end = nullptr;
        if (name == "--pairs") {
            o.pairs = int(std::strtol(value.c_str(), &end, 10));
            if (*end || o.pairs < 1)
                usage(argv[0], 2);
        } else if (name == "--duration") {
            o.duration = std::strtod(value.c_str(), &end);
            if (*end || !(o.duration > 0))
                usage(argv[0], 2);
        } else if (name == "--transports") {
            o.transports = splitList(value);
            for (const auto& t : o.transports)
                if (t != "tcp" && t != "udp")
                    usage(argv[0], 2);
        } else if (name == "--placement") {
            if (value == "split") {
                g_clientCpu = 0;
                g_serverCpu = 1;
            } else if (value == "same") {
                g_clientCpu = g_serverCpu = 0;
            } else if (value == "none") {
                g_clientCpu = g_serverCpu = -1;
            } else {
                usage(argv[0], 2);
            }
        } else if (name == "--engines") {
            o.engines = splitList(value);
        } else if (name == "--ping") {
            o.ping = value;
        } else if (name == "--pong") {
            o.pong = value;
        } else if (name == "--ref") {
            o.ref = value;
        } else {
            fmt::print(stderr, "unknown option {}\n", name);
            usage(argv[0], 2);
        }
    }
    if (o.transports.empty() || o.engines.empty())
        usage(argv[0], 2);
    for (const auto& e : o.engines)
        if (!kTargets.contains(e)) {
            fmt::print(stderr, "unknown engine {}\n", e);
            usage(argv[0], 2);
        }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parseOptions(argc, argv);
    QCoreApplication app(argc, argv); // for QProcess
    fmt::print("ping-pong benchmark: {} B payload, back-to-back, loopback, {} s per run, {} pair(s)\n",
               kPayload, o.duration, o.pairs);
    fmt::print("placement: client {}, server {}\n",
               g_clientCpu < 0 ? "unpinned" : fmt::format("CPU {}", g_clientCpu),
               g_serverCpu < 0 ? "unpinned" : fmt::format("CPU {}", g_serverCpu));
    // Two busy-pollers on one core take turns by time slice, so each round trip waits for the
    // scheduler: the spin figures (reference and ours alike) then say nothing about the engine.
    if (g_clientCpu >= 0 && g_clientCpu == g_serverCpu &&
        std::find(o.engines.begin(), o.engines.end(), "spin") != o.engines.end())
        fmt::print("warning: --placement same puts both spin pollers on CPU {}; they can only take turns "
                   "by time slice, so spin figures are not meaningful (use --placement split)\n",
                   g_clientCpu);
    std::fflush(stdout);

    bool failed = false;
    std::vector<Group> groups;
    for (const auto& transport : o.transports) {
        for (const auto& engine : o.engines) {
            Group g{transport, engine, {}, {}, {}};
            for (int pair = 1; pair <= o.pairs; ++pair) {
                const std::string tag = fmt::format("[{}/{} {}/{}]", transport, engine, pair, o.pairs);
                auto printRun = [&](const char* side, const std::optional<Sample>& s,
                                    const std::string& extra) {
                    if (s)
                        fmt::print("{} {:<12} p50 {:9.2f} us   {:11.0f} msg/s{}\n", tag, side, s->p50Us,
                                   s->msgPerS, extra);
                    else
                        fmt::print("{} {:<12} FAILED\n", tag, side);
                    std::fflush(stdout);
                };
                const bool spinRef = spinReference(engine);
                const auto ref = runReference(o, transport, spinRef);
                printRun(spinRef ? "ref spin" : "reference", ref, "");
                std::string detail;
                const auto ours = runOurs(o, transport, engine, detail);
                printRun("latency-ping", ours, detail.empty() ? "" : "  (" + detail.substr(1) + ")");
                failed = failed || !ref || !ours;
                if (o.timestamps) {
                    std::string stampedDetail;
                    const auto stamped = runOurs(o, transport, engine, stampedDetail, true);
                    printRun("+ timestamps", stamped, "");
                    failed = failed || !stamped;
                    if (stamped)
                        g.stamped.push_back(*stamped);
                }
                if (ref)
                    g.ref.push_back(*ref);
                if (ours)
                    g.ours.push_back(*ours);
            }
            groups.push_back(std::move(g));
        }
    }

    for (const auto& g : groups)
        printSummary(g);
    if (failed)
        fmt::print("\nsome runs produced no result (see above)\n");
    return failed ? 1 : 0;
}
