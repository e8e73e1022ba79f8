// latency-pong: an echo peer on one or more endpoints, serving until SIGINT or SIGTERM.
#include "cli_support.h"

#include "agent_client.h"
#include "agent_server.h"
#include "cpu_affinity.h"
#include "endpoint.h"
#include "impairments.h"
#include "pong_server.h"
#include "residence_line.h"
#include "units.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <unistd.h>

using namespace le;

namespace {

// "10", "10%", "2.5 %": a percentage from 0 to 100.
double parse_percent(std::string_view text) {
    std::string s(text);
    const auto trim = [&s] {
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
            s.pop_back();
    };
    trim();
    if (!s.empty() && s.back() == '%')
        s.pop_back();
    trim();
    char* end = nullptr;
    const double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 100)
        throw std::invalid_argument(fmt::format(
            "invalid percentage '{}' (expected a number from 0 to 100, optionally with %)", text));
    return v;
}

// A delay or jitter: a duration from 0 to 10 s.
Nanos parse_impairment_duration(std::string_view text) {
    const Nanos ns = parse_duration(text);
    if (ns < 0 || ns > kMaxImpairmentDelay)
        throw std::invalid_argument(fmt::format("invalid duration '{}' (expected 0 to 10 s)", text));
    return ns;
}

// --report-residence: from 10 ms (a line per record at most ~100 times a second) to 10 s.
Nanos parse_report_period(std::string_view text) {
    const Nanos ns = parse_duration(text);
    if (ns < 10 * kNanosPerMilli || ns > 10 * kNanosPerSecond)
        throw std::invalid_argument(fmt::format("invalid period '{}' (expected 10ms to 10s)", text));
    return ns;
}

// --agent: serves the control protocol until SIGINT/SIGTERM (or stdin's end with --exit-on-eof).
int run_agent(const std::string& control, const std::string& token_file, bool exit_on_eof,
              const std::vector<int>& cpus) {
    AgentServerConfig config;
    try {
        const Endpoint ep =
            parse_endpoint(control.find("://") == std::string::npos ? "tcp://" + control : control);
        if (ep.transport != Transport::Tcp)
            throw std::invalid_argument(
                fmt::format("--control '{}': the control channel is tcp://HOST:PORT", control));
        config.host = ep.host;
        config.port = ep.port;
        if (!token_file.empty())
            config.token = read_token_file(token_file);
        if (!is_loopback_host(config.host) && config.token.empty())
            throw std::invalid_argument(fmt::format(
                "refusing to listen on {} without a token: anyone who reaches it could run pong endpoints "
                "here; give --token-file FILE, or listen on 127.0.0.1",
                control));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: error: %s\n", e.what());
        return cli::kExitUsage;
    }
    config.version = "latency-pong " LE_APP_VERSION;
    config.log = [](const std::string& line) {
        std::fprintf(stderr, "latency-pong: agent: %s\n", line.c_str());
    };

    cli::install_stop_signals();
    std::unique_ptr<AgentServer> agent;
    try {
        const ScopedAffinity placed(cpus); // the agent's endpoints inherit the placement
        agent = AgentServer::start(config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: %s\n", e.what());
        return cli::kExitFailure;
    }
    std::printf("agent listening on %s\n", agent->control().url().c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "latency-pong: agent %s, authentication %s\n", agent->control().url().c_str(),
                 config.token.empty() ? "none (loopback only)" : "HMAC-SHA256 challenge-response");

    // The SSH launcher's way to stop a remote agent: the ssh connection closes, stdin ends.
    std::atomic<bool> eof{false};
    std::thread stdin_watch;
    if (exit_on_eof) {
        stdin_watch = std::thread([&eof] {
            char buffer[256];
            for (;;) {
                const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
                if (n == 0 || (n < 0 && errno != EINTR))
                    break;
            }
            eof = true;
        });
        stdin_watch.detach(); // a read() cannot be interrupted portably; the process ends anyway
    }
    while (!cli::stop_requested() && !eof)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::size_t endpoints = agent->endpoint_count();
    agent->stop();
    std::fprintf(stderr, "latency-pong: agent stopped (%s); %zu endpoint(s) closed\n",
                 eof ? "stdin closed" : "signal", endpoints);
    return cli::kExitOk;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Echoes every byte it receives on each endpoint (a valid peer for any ping), until\n"
                 "SIGINT or SIGTERM. Prints 'listening on URL' per endpoint once ready.",
                 "latency-pong"};
    app.set_version_flag("--version", "latency-pong " LE_APP_VERSION);
    std::vector<std::string> listen{"tcp://127.0.0.1:7700"};
    std::string engine = "asio", tasks = "0", task_work = "20us", task_period = "1ms";
    std::string delay = "0", jitter = "0", loss = "0";
    int max_connections = 1024;
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast); // later flags win
    app.add_option("--listen", listen,
                   "endpoint(s): tcp://HOST:PORT, udp://HOST:PORT, unix:///path (port 0 = any)")
        ->check(cli::validator("", [](const std::string& s) { parse_endpoint(s); }))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->capture_default_str();
    app.add_option("--engine", engine,
                   "blocking (thread per connection), asio (one io_context thread), asio-pool (one "
                   "io_context, a thread per core), spin (one thread busy-polling every socket), uring (one "
                   "io_uring thread), uring-sqpoll (the same with a kernel SQ polling thread), libuv (one "
                   "uv_loop_t) or asio-uring (asio on Asio's io_uring backend)")
        ->check(cli::validator("", [](const std::string& s) { parse_engine(s); }))
        ->capture_default_str();
    app.add_option("--tasks", tasks, "CPU-bound compute tasks sharing the pong's engine")
        ->check(cli::validator("", [](const std::string& s) { parse_count(s); }))
        ->capture_default_str();
    app.add_option("--task-work", task_work, "CPU work per task wake-up")
        ->check(cli::validator("", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--task-period", task_period, "how often each task wakes")
        ->check(cli::validator("", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--max-connections", max_connections, "further connections are closed at once")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    // Impairments for demos on machines without netem (impairments.h).
    app.add_option("--delay", delay, "hold every echo this long before sending it back (0 .. 10 s)")
        ->check(cli::validator("", [](const std::string& s) { parse_impairment_duration(s); }))
        ->capture_default_str();
    app.add_option("--jitter", jitter,
                   "add uniform(-jitter, +jitter) to each hold (0 .. 10 s; a hold never goes below 0; "
                   "streams keep their byte order)")
        ->check(cli::validator("", [](const std::string& s) { parse_impairment_duration(s); }))
        ->capture_default_str();
    app.add_option("--loss", loss,
                   "drop this percentage of UDP datagrams (0 .. 100); TCP and Unix streams cannot lose "
                   "bytes and are only delayed")
        ->check(cli::validator("", [](const std::string& s) { parse_percent(s); }))
        ->capture_default_str();
    std::string report_residence;
    app.add_option(
           "--report-residence", report_residence,
           "every PERIOD (10ms .. 10s), print 'residence START_NS END_NS UNSTAMPED DISCARDED "
           "HISTOGRAM' on stdout: the residence (kernel RX stamp -> the echo's send call) of each UDP "
           "request and each TCP read since the last line, HISTOGRAM an HdrHistogram V2 compressed "
           "in base64, the times CLOCK_MONOTONIC (comparable on this host only); or once 'residence "
           "unavailable: WHY' (every engine measures it; unix sockets have no kernel timestamps). "
           "Default: off")
        ->check(cli::validator("", [](const std::string& s) { parse_report_period(s); }));
    std::string cpu;
    app.add_option("--cpu", cpu, "pin the pong's threads to CPUs (0, 0,2, 1-3); default: not pinned")
        ->check(cli::validator("", [](const std::string& s) { parse_cpu_list(s); }));
    bool agent_mode = false, exit_on_eof = false;
    std::string control = "tcp://127.0.0.1:7800", token_file;
    app.add_flag("--agent", agent_mode,
                 "serve the agent's control protocol instead: clients create and destroy pong endpoints "
                 "on this host (prints 'agent listening on URL' once ready)");
    app.add_option("--control", control,
                   "with --agent: control address tcp://HOST:PORT; other than loopback needs --token-file")
        ->capture_default_str();
    app.add_option("--token-file", token_file,
                   "with --agent: the shared secret (first line; the file must not be readable by others)");
    app.add_flag("--exit-on-eof", exit_on_eof, "with --agent: stop when stdin reaches its end (for ssh)");
    if (const int rc = cli::parse(app, argc, argv); rc >= 0)
        return rc;
    if (!agent_mode && (app.count("--control") || app.count("--token-file") || exit_on_eof)) {
        std::fprintf(stderr, "latency-pong: error: --control, --token-file and --exit-on-eof need --agent\n");
        return cli::kExitUsage;
    }
    if (agent_mode) {
        std::vector<int> agent_cpus;
        try {
            if (!cpu.empty())
                agent_cpus = parse_cpu_list(cpu);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-pong: error: %s\n", e.what());
            return cli::kExitUsage;
        }
        return run_agent(control, token_file, exit_on_eof, agent_cpus);
    }

    PongConfig config;
    std::vector<int> cpus;
    try {
        for (const auto& l : listen)
            config.listen.push_back(parse_endpoint(l));
        config.engine = parse_engine(engine);
        const long long n = parse_count(tasks);
        if (n > 100'000)
            throw std::invalid_argument("tasks must be at most 100000");
        config.tasks = static_cast<int>(n);
        config.task_work = parse_duration(task_work);
        config.task_period = parse_duration(task_period);
        // As latency-ping's: an hour of work per wake-up would stop an asio pong serving for an hour.
        if (config.task_work > kNanosPerSecond)
            throw std::invalid_argument(fmt::format("--task-work {}: must be from 0 to 1 s", task_work));
        if (config.task_period < 10 * kNanosPerMicro || config.task_period > 10 * kNanosPerSecond)
            throw std::invalid_argument(
                fmt::format("--task-period {}: must be from 10 us to 10 s", task_period));
        config.max_connections = max_connections;
        config.delay = parse_impairment_duration(delay);
        config.jitter = parse_impairment_duration(jitter);
        config.loss_percent = parse_percent(loss);
        if (!cpu.empty())
            cpus = parse_cpu_list(cpu);
        config.measure_residence = !report_residence.empty();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: error: %s\n", e.what());
        return cli::kExitUsage;
    }

    cli::install_stop_signals();
    std::unique_ptr<PongServer> server;
    try {
        const ScopedAffinity placed(cpus); // every thread of the server inherits the placement
        server = start_pong(config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: %s\n", e.what());
        return cli::kExitFailure;
    }
    // The first line's START_NS, and what came before it set aside, before the endpoints are
    // announced: a client that sends as soon as it reads them has every request in some line (set
    // aside after, its first requests could be, and tst_split_plot saw 19 of 20 counted).
    const Nanos period = report_residence.empty() || !server->residence_unavailable().empty()
                             ? 0
                             : parse_report_period(report_residence);
    ResidenceChunk chunk;
    chunk.start = now_ns();
    if (period > 0)
        server->take_residence(); // what came before the first line's START_NS: the warm-up of nobody
    // Before the endpoints: whoever waits for them knows whether residence will follow.
    if (config.measure_residence && !server->residence_unavailable().empty())
        std::printf("%s\n", format_residence_unavailable(server->residence_unavailable()).c_str());
    for (const Endpoint& ep : server->endpoints())
        std::printf("listening on %s\n", ep.url().c_str());
    std::fprintf(stderr, "latency-pong: engine %s, CPUs %s\n", std::string(to_string(config.engine)).c_str(),
                 format_cpu_list(cpus).c_str());
    std::fflush(stdout);
    if (config.loss_percent > 0)
        for (const Endpoint& ep : server->endpoints())
            if (is_stream(ep.transport))
                std::fprintf(
                    stderr,
                    "latency-pong: note: --loss applies to UDP only; %s is delayed but loses nothing\n",
                    ep.url().c_str());
    while (!cli::stop_requested()) {
        const Nanos t = now_ns();
        if (period > 0 && t - chunk.start >= period) {
            chunk.end = t;
            chunk.data = server->take_residence();
            std::printf("%s\n", format_residence_line(chunk).c_str());
            std::fflush(stdout);
            chunk.start = t;
        }
        const Nanos slice = period > 0 ? std::min<Nanos>(50 * kNanosPerMilli, chunk.start + period - now_ns())
                                       : 50 * kNanosPerMilli;
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<Nanos>(slice, 0)));
    }
    server->stop();
    const PongStats& s = server->stats();
    std::fprintf(
        stderr,
        "latency-pong: stopped; %llu connections served, %llu refused, %llu bytes echoed, %llu "
        "datagrams dropped\n",
        static_cast<unsigned long long>(s.accepted.load()), static_cast<unsigned long long>(s.refused.load()),
        static_cast<unsigned long long>(s.bytes.load()), static_cast<unsigned long long>(s.dropped.load()));
    return cli::kExitOk;
}
