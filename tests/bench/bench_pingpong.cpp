// Ping-pong speed benchmark: latency-ping/latency-pong against ref_pingpong on loopback.
//
// Absolute RTTs depend on the machine, so the targets are ratios against a reference measured in
// the same run. Runs alternate (reference, ours, reference, ours, ...) so that drift in machine
// load or CPU frequency hits both sides alike, and medians over pairs keep one noisy run from
// deciding the outcome. The reference and ours are pinned alike (see g_clientCpu).
//
// Each engine is judged against the reference of its own kind: blocking, asio and asio-pool against
// the blocking ref_pingpong (what a plain hand-written tool gets), spin against ref_pingpong in spin
// mode, because a busy-poller beats any sleeper and a blocking reference would flatter it.
//
// Exit status: 0 even when a target is missed (this is a benchmark, not a test); 1 when a run
// produced no usable result; 2 on bad usage.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#ifndef LE_PING_PATH
#define LE_PING_PATH "latency-ping"
#endif
#ifndef LE_PONG_PATH
#define LE_PONG_PATH "latency-pong"
#endif
#ifndef LE_REF_PATH
#define LE_REF_PATH "ref_pingpong"
#endif

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kPayload = "64";
// Generous: covers process start-up and a slow machine, but a hung run still ends the benchmark.
constexpr auto kStartTimeout = 10s;
constexpr auto kRunSlack = 30s;

struct Options {
    int pairs = 3;
    double duration = 5.0;
    std::vector<std::string> transports{"tcp", "udp"};
    std::vector<std::string> engines{"blocking", "asio", "asio-pool", "spin"};
    std::string ping = LE_PING_PATH;
    std::string pong = LE_PONG_PATH;
    std::string ref = LE_REF_PATH;
};

struct Target {
    std::optional<double> maxP50Ratio;
    std::optional<double> minRateRatio;
};

// The targets, p50 at back-to-back: spin <= 1.05x the busy-polling reference, asio and
// asio-pool <= 1.15x the blocking one; blocking must also keep 95% of the reference's msg/s.
const std::map<std::string, Target> kTargets{
    {"blocking", {1.05, 0.95}},
    {"asio", {1.15, std::nullopt}},
    {"asio-pool", {1.15, std::nullopt}},
    {"spin", {1.05, std::nullopt}},
};

// Which ref_pingpong mode an engine is compared with.
bool spinReference(const std::string& engine) {
    return engine == "spin";
}

struct Sample {
    double p50Us = 0;
    double msgPerS = 0;
};

struct Child {
    pid_t pid = -1;
    int out = -1;
    std::string pending;
};

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos)
            comma = s.size();
        if (comma > start)
            parts.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return parts;
}

std::string joinArgs(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv)
        s += (s.empty() ? "" : " ") + a;
    return s;
}

std::string describeStatus(int status) {
    if (WIFEXITED(status))
        return fmt::format("exit code {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return "unknown status";
}

// stdout goes to a pipe we read; stderr is inherited so the children's diagnostics reach the user.
// CPU for the next spawned client/server (-1: leave to the scheduler). Both the reference and ours
// get the same placement, because placement alone moves loopback RTT by 4x on a 2-vCPU machine.
int g_clientCpu = 0;
int g_serverCpu = 1;

void pin(pid_t pid, int cpu) {
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(pid, sizeof set, &set) != 0)
        fmt::print(stderr, "warning: cannot pin pid {} to CPU {}: {}\n", pid, cpu, std::strerror(errno));
}

std::optional<Child> spawn(const std::vector<std::string>& argv, int cpu = -1) {
    int fds[2];
    // O_CLOEXEC keeps each pipe out of the other children, so EOF arrives when its owner exits.
    if (pipe2(fds, O_CLOEXEC) < 0) {
        fmt::print(stderr, "pipe: {}\n", std::strerror(errno));
        return std::nullopt;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        fmt::print(stderr, "cannot start {}: {}\n", argv[0], std::strerror(rc));
        close(fds[0]);
        return std::nullopt;
    }
    pin(pid, cpu);
    return Child{pid, fds[0], {}};
}

// One line of the child's stdout; nullopt on EOF or when the deadline passes.
std::optional<std::string> readLine(Child& c, Clock::time_point deadline) {
    for (;;) {
        if (const size_t nl = c.pending.find('\n'); nl != std::string::npos) {
            std::string line = c.pending.substr(0, nl);
            c.pending.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= 0ms)
            return std::nullopt;
        pollfd p{c.out, POLLIN, 0};
        const int r = poll(&p, 1, int(left.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return std::nullopt;
        char buf[4096];
        const ssize_t n = read(c.out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (c.pending.empty())
                return std::nullopt;
            return std::exchange(c.pending, {});
        }
        c.pending.append(buf, size_t(n));
    }
}

// SIGTERM first, as the servers expect; SIGKILL if one ignores it, so the benchmark cannot hang.
int stop(Child& c) {
    kill(c.pid, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + 5s;
    while (waitpid(c.pid, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
            kill(c.pid, SIGKILL);
            waitpid(c.pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    close(c.out);
    return status;
}

struct Finished {
    std::vector<std::string> lines;
    int status = 0;
    bool timedOut = false;
};

std::optional<Finished> runToEnd(const std::vector<std::string>& argv, Clock::duration timeout) {
    auto child = spawn(argv, g_clientCpu);
    if (!child)
        return std::nullopt;
    Finished f;
    const auto deadline = Clock::now() + timeout;
    while (auto line = readLine(*child, deadline))
        f.lines.push_back(std::move(*line));
    f.timedOut = Clock::now() >= deadline;
    if (f.timedOut)
        kill(child->pid, SIGKILL);
    waitpid(child->pid, &f.status, 0);
    close(child->out);
    return f;
}

// Starts a server and waits for its readiness line; the line is handed back for parsing.
std::optional<std::pair<Child, std::string>> startServer(const std::vector<std::string>& argv) {
    auto child = spawn(argv, g_serverCpu);
    if (!child)
        return std::nullopt;
    auto line = readLine(*child, Clock::now() + kStartTimeout);
    if (!line) {
        fmt::print(stderr, "no readiness line from: {}\n", joinArgs(argv));
        stop(*child);
        return std::nullopt;
    }
    return std::pair{std::move(*child), std::move(*line)};
}

std::optional<Sample> runReference(const Options& o, const std::string& transport, bool spin) {
    std::vector<std::string> serverArgs{o.ref, "server", transport, "0"};
    if (spin)
        serverArgs.push_back("spin");
    auto server = startServer(serverArgs);
    if (!server)
        return std::nullopt;
    auto& [child, ready] = *server;
    int port = 0;
    if (std::sscanf(ready.c_str(), "listening %d", &port) != 1 || port <= 0) {
        fmt::print(stderr, "unexpected readiness line from reference server: '{}'\n", ready);
        stop(child);
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
    const auto run = runToEnd(clientArgs, std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(o.duration + 0.5) + kRunSlack));
    stop(child);
    if (!run)
        return std::nullopt;
    Sample s;
    size_t count = 0;
    if (run->timedOut || run->lines.empty() ||
        std::sscanf(run->lines.back().c_str(), "p50_us=%lf msg_per_s=%lf count=%zu", &s.p50Us, &s.msgPerS,
                    &count) != 3) {
        fmt::print(stderr, "reference client gave no result ({}{}): {}\n", describeStatus(run->status),
                   run->timedOut ? ", timed out" : "", joinArgs(clientArgs));
        return std::nullopt;
    }
    return s;
}

std::optional<Sample> runOurs(const Options& o, const std::string& transport, const std::string& engine,
                              std::string& detail) {
    const std::vector<std::string> pongArgs{o.pong, "--listen", transport + "://127.0.0.1:0", "--engine",
                                            engine};
    auto server = startServer(pongArgs);
    if (!server)
        return std::nullopt;
    auto& [child, ready] = *server;
    const std::string prefix = "listening on " + transport + "://";
    const size_t colon = ready.rfind(':');
    const int port = colon == std::string::npos ? 0 : std::atoi(ready.c_str() + colon + 1);
    if (!ready.starts_with(prefix) || port <= 0) {
        fmt::print(stderr, "unexpected readiness line from latency-pong: '{}'\n", ready);
        stop(child);
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
    const auto run = runToEnd(pingArgs, std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o.duration + 0.5) + kRunSlack));
    const int pongStatus = stop(child);
    // A pong that dies on its own (rather than by our SIGTERM) is worth knowing about even if the
    // ping still got its numbers.
    if (!(WIFSIGNALED(pongStatus) && WTERMSIG(pongStatus) == SIGTERM) &&
        !(WIFEXITED(pongStatus) && WEXITSTATUS(pongStatus) == 0))
        fmt::print(stderr, "warning: latency-pong ended with {}\n", describeStatus(pongStatus));
    if (!run)
        return std::nullopt;
    for (auto it = run->lines.rbegin(); !run->timedOut && it != run->lines.rend(); ++it) {
        const auto j = nlohmann::json::parse(*it, nullptr, false);
        if (j.is_discarded() || !j.is_object() || j.value("type", "") != "summary")
            continue;
        if (!j.contains("p50_us") || !j["p50_us"].is_number() || !j.contains("achieved_rate") ||
            !j["achieved_rate"].is_number())
            break;
        for (const char* key : {"sent", "received", "lost", "errors"})
            if (j.contains(key))
                detail += fmt::format(" {} {}", key, j[key].dump());
        if (!(WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0))
            fmt::print(stderr, "warning: latency-ping ended with {}\n", describeStatus(run->status));
        const Sample sample{j["p50_us"].get<double>(), j["achieved_rate"].get<double>()};
        // A summary of zero round trips reports p50 0, which would pass any latency target.
        if (!(sample.p50Us > 0 && sample.msgPerS > 0)) {
            fmt::print(stderr, "latency-ping completed no round trip:{}\n", detail);
            return std::nullopt;
        }
        return sample;
    }
    fmt::print(stderr, "latency-ping gave no usable summary ({}{}): {}\n", describeStatus(run->status),
               run->timedOut ? ", timed out" : "", joinArgs(pingArgs));
    return std::nullopt;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Group {
    std::string transport, engine;
    std::vector<Sample> ref, ours;
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
}

[[noreturn]] void usage(const char* argv0, int code) {
    fmt::print(code ? stderr : stdout,
               "usage: {} [--pairs N] [--duration SECONDS] [--transports tcp,udp]\n"
               "          [--engines blocking,asio,asio-pool,spin] [--placement split|same|none]\n"
               "          [--ping PATH] [--pong PATH] [--ref PATH]\n"
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
        std::string name = argv[i], value;
        if (name == "-h" || name == "--help")
            usage(argv[0], 0);
        if (const size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fmt::print(stderr, "{} needs a value\n", name);
            usage(argv[0], 2);
        }
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
            Group g{transport, engine, {}, {}};
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
