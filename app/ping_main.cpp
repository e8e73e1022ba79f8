// latency-ping: measures round-trip latency against an echo peer and prints interval records.
#include "cli_support.h"
#include "compare_command.h"
#include "output_file.h"
#include "sweep_command.h"

#include "agent_client.h"
#include "agent_residence.h"
#include "cpu_affinity.h"
#include "endpoint.h"
#include "hlog_writer.h"
#include "kernel_split.h"
#include "ping_session.h"

#include "record_format.h"
#include "units.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

using namespace le;

namespace {

struct ScheduledChange {
    Nanos at = 0;
    std::string key;
    std::string value;
    std::string text;
};

// "5s:rate=10k" -> {5 s, "rate", "10k"}; throws std::invalid_argument.
ScheduledChange parse_set(const std::string& text) {
    const auto colon = text.find(':');
    const auto eq = text.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || eq == std::string::npos)
        throw std::invalid_argument(fmt::format("'{}' is not AT:KEY=VALUE (e.g. 5s:rate=10k)", text));
    ScheduledChange c{parse_duration(text.substr(0, colon)), text.substr(colon + 1, eq - colon - 1),
                      text.substr(eq + 1), text};
    if (c.key == "rate")
        parse_rate(c.value);
    else if (c.key == "payload")
        parse_size(c.value);
    else if (c.key == "tasks")
        parse_count(c.value);
    else if (c.key == "task-work" || c.key == "task-period")
        parse_duration(c.value);
    else
        throw std::invalid_argument(fmt::format(
            "unknown setting '{}' in '{}' (expected rate, payload, tasks, task-work or task-period)", c.key,
            text));
    return c;
}

std::string engine_help() {
    std::string text = "how both sides schedule I/O and compute tasks:";
    for (EngineKind e : kAllEngines)
        text += "\n  " + std::string(engine_description(e));
    return text;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Measures network round-trip time against an echo peer: paced on a schedule, live\n"
                 "changes with --set, HDR histograms per interval. Without --peer it starts a pong\n"
                 "in this process on loopback.",
                 "latency-ping"};
    app.set_version_flag("--version", "latency-ping " LE_APP_VERSION);
    std::string peer, transport = "tcp", engine = "blocking", rate = "1k", payload = "64", tasks = "0";
    std::string task_work = "20us", task_period = "1ms", duration = "10s", warmup = "1s", interval = "1s";
    std::string timeout = "1s", format = "text", out, hlog, cpu, pong_cpu, pong_delay = "0";
    int burst = 1;
    bool open_loop = false;
    bool verify_payload = false;
    bool kernel_timestamps = false;
    std::vector<std::string> sets;
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast); // later flags win

    app.add_option("--peer", peer, "echo peer: tcp://HOST:PORT, udp://HOST:PORT or unix:///path")
        ->check(cli::validator("URL", [](const std::string& s) { parse_endpoint(s); }));
    app.add_option("--transport", transport, "transport of the in-process pong: tcp, udp or unix")
        ->check(cli::validator("T", [](const std::string& s) { parse_transport(s); }))
        ->capture_default_str();
    app.add_option("--engine", engine, engine_help())
        ->check(cli::validator("NAME", [](const std::string& s) { parse_engine(s); }))
        ->capture_default_str();
    app.add_option("--rate", rate, "messages per second, 1 to 1M (10k, 1M) or inf = back-to-back")
        ->check(cli::validator("N|inf", [](const std::string& s) { parse_rate(s); }))
        ->capture_default_str();
    app.add_option("--payload", payload, "message size, 8 B to 1 MiB (64, 1KiB, 1MiB)")
        ->check(cli::validator("SIZE", [](const std::string& s) { parse_size(s); }))
        ->capture_default_str();
    app.add_option("--tasks", tasks, "CPU-bound compute tasks sharing the ping's engine")
        ->check(cli::validator("N", [](const std::string& s) { parse_count(s); }))
        ->capture_default_str();
    app.add_option("--task-work", task_work, "CPU work per task wake-up (hashing, calibrated at start)")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--task-period", task_period, "how often each task wakes")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--duration", duration, "measured time after warm-up (0 = until Ctrl-C)")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--warmup", warmup, "time before measuring, not counted")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--interval", interval, "length of one interval record")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--burst", burst,
                   "at each tick send K round trips back-to-back; the first and the rest are reported apart "
                   "(how much of low-rate latency is the cold path)")
        ->check(CLI::Range(1, kMaxBurst))
        ->capture_default_str();
    app.add_option("--cpu", cpu,
                   "pin the ping's data path and tasks to CPUs (0, 0,2, 1-3); default: not pinned")
        ->check(cli::validator("LIST", [](const std::string& s) { parse_cpu_list(s); }));
    app.add_option("--pong-cpu", pong_cpu, "pin the in-process pong to CPUs; default: not pinned")
        ->check(cli::validator("LIST", [](const std::string& s) { parse_cpu_list(s); }));
    app.add_flag(
        "--verify-payload", verify_payload,
        "fill payloads from their sequence numbers and count an echo with another payload as an error");
    app.add_flag(
        "--kernel-timestamps", kernel_timestamps,
        "split each round trip by the kernel's software timestamps into send (send call -> TX "
        "stamp), wire (TX -> RX stamp of the echo: network and peer) and wake (RX stamp -> the "
        "engine has it); records gain split and split_available. Works with: " +
            std::string(kKernelSplitSupport) +
            "; elsewhere split_available says why not. With a pong of ours (in-process, or an --agent "
            "endpoint) over UDP or TCP, on any engine, wire divides into network and pong "
            "(peer_split_available)");
    app.add_option("--pong-delay", pong_delay,
                   "the in-process pong holds each echo this long (as latency-pong --delay): a slow peer. "
                   "With --kernel-timestamps its residence splits wire into network and pong")
        ->capture_default_str();
    app.add_flag("--open-loop", open_loop,
                 "send on schedule with many messages in flight; RTT from the intended send time");
    app.add_option("--timeout", timeout, "a message without echo after this is lost")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    std::string peer_lost = "1.5s";
    app.add_option("--peer-lost", peer_lost,
                   "end the run with 'peer lost' when nothing is echoed for this long (at least --timeout; "
                   "0 = never, e.g. against a peer that drops most datagrams on purpose)")
        ->check(cli::validator("DUR", [](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--set", sets,
                   "live change AT after the start (warm-up included): 5s:rate=10k, "
                   "8s:tasks=100, 9s:payload=1KiB, task-work=, task-period=")
        ->check(cli::validator("AT:KEY=VALUE", [](const std::string& s) { parse_set(s); }))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--format", format, "text, json (one object per line) or csv")
        ->check(cli::validator("FMT", [](const std::string& s) { parse_record_format(s); }))
        ->capture_default_str();
    app.add_option("--out", out, "also write the records to FILE (in --format)");
    app.add_option("--hlog", hlog,
                   "also write each interval's histogram to FILE as an HdrHistogram interval log (ns; "
                   "Tag=first/rest with --burst)");

    std::string agent_url, token_file, agent_data_host;
    int pong_tasks = 0;
    app.add_option("--agent", agent_url,
                   "measure against a pong endpoint created for this run on a latency-pong --agent at "
                   "tcp://HOST:PORT (--transport and --engine apply to it; destroyed at the end)");
    app.add_option("--token-file", token_file, "with --agent: the agent's shared secret (a private file)");
    app.add_option("--agent-data-host", agent_data_host,
                   "with --agent: the address pings use for the endpoint (default: the agent's HOST; set it "
                   "when control goes through an SSH tunnel)");
    app.add_option("--pong-tasks", pong_tasks, "with --agent: compute tasks sharing the remote pong's engine")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();

    CompareCommand compare;
    compare.add_to(app);
    SweepCommand sweep;
    sweep.add_to(app);

    if (const int rc = cli::parse(app, argc, argv); rc >= 0)
        return rc;
    if (app.got_subcommand("compare"))
        return compare.run();
    if (app.got_subcommand("sweep"))
        return sweep.run();

    PingConfig config;
    std::vector<ScheduledChange> changes;
    RecordFormat fmt_kind = RecordFormat::Text;
    try {
        if (!peer.empty())
            config.peer = parse_endpoint(peer);
        config.transport = parse_transport(transport);
        config.engine = parse_engine(engine);
        config.rate = parse_rate(rate);
        config.payload = parse_size(payload);
        if (const long long n = parse_count(tasks); n > kMaxTasks)
            throw std::invalid_argument(fmt::format("--tasks: {} is out of range (0 to {})", n, kMaxTasks));
        else
            config.tasks = static_cast<int>(n);
        config.task_work = parse_duration(task_work);
        config.task_period = parse_duration(task_period);
        config.duration = parse_duration(duration);
        config.warmup = parse_duration(warmup);
        config.interval = parse_duration(interval);
        config.open_loop = open_loop;
        config.verify_payload = verify_payload;
        config.kernel_timestamps = kernel_timestamps;
        config.pong_delay = cli::convert<Nanos>("--pong-delay", pong_delay, parse_duration);
        config.timeout = parse_duration(timeout);
        config.peer_lost = parse_duration(peer_lost);
        config.burst = burst;
        if (!cpu.empty())
            config.cpu = parse_cpu_list(cpu);
        if (!pong_cpu.empty())
            config.pong_cpu = parse_cpu_list(pong_cpu);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping: error: %s\n", e.what());
        return cli::kExitUsage;
    }
    // Checks that need several options together, named after the option the user would change.
    try {
        check_payload(config.payload, config.effective_transport());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping: error: --payload: %s\n", e.what());
        return cli::kExitUsage;
    }
    if (config.open_loop && config.rate == kRateInf) {
        std::fprintf(stderr,
                     "latency-ping: error: --open-loop: open loop needs a finite --rate (inf, back-to-back, "
                     "is closed loop)\n");
        return cli::kExitUsage;
    }
    try {
        validate(config);
        for (const auto& s : sets)
            changes.push_back(parse_set(s));
        // Open loop sizes its in-flight table for the highest rate the schedule reaches.
        for (const auto& c : changes)
            if (c.key == "rate" && config.open_loop)
                config.rate_ceiling = std::max(config.highest_rate(), parse_rate(c.value));
        // A change that could not apply is refused now, not noted when its time comes.
        for (const auto& c : changes)
            try {
                with_change(config, c.key, c.value);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(fmt::format("--set {}: {}", c.text, e.what()));
            }
        fmt_kind = parse_record_format(format);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping: error: %s\n", e.what());
        return cli::kExitUsage;
    }
    std::stable_sort(changes.begin(), changes.end(), [](auto& a, auto& b) { return a.at < b.at; });
    if (agent_url.empty() && (!token_file.empty() || !agent_data_host.empty() || app.count("--pong-tasks"))) {
        std::fprintf(stderr,
                     "latency-ping: error: --token-file, --agent-data-host and --pong-tasks need --agent\n");
        return cli::kExitUsage;
    }
    if (!agent_url.empty() && config.peer) {
        std::fprintf(stderr, "latency-ping: error: --agent: give either --peer or --agent, not both\n");
        return cli::kExitUsage;
    }
    if (!agent_url.empty() && config.transport == Transport::Unix) {
        std::fprintf(
            stderr,
            "latency-ping: error: --transport: an agent serves tcp or udp (unix does not cross hosts)\n");
        return cli::kExitUsage;
    }

    // --agent: an endpoint of our own on the agent for this run, destroyed whatever happens.
    std::shared_ptr<AgentClient> agent; // shared with the residence source
    int agent_endpoint = -1;
    if (!agent_url.empty()) {
        std::string token;
        try {
            // What the user gave is checked before anything is asked of the agent: a usage error (2).
            if (!token_file.empty())
                token = read_token_file(token_file);
            if (agent_url.find("://") != std::string::npos && agent_url.rfind("tcp://", 0) != 0)
                throw std::invalid_argument(
                    fmt::format("invalid agent URL '{}' (expected tcp://HOST:PORT)", agent_url));
            parse_endpoint(agent_url.find("://") == std::string::npos ? "tcp://" + agent_url : agent_url);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping: error: --agent: %s\n", e.what());
            return cli::kExitUsage;
        }
        try {
            agent = AgentClient::connect(agent_url, token, agent_data_host);
            AgentEndpointSpec spec;
            spec.transport = config.transport;
            spec.engine = config.engine;
            spec.tasks = pong_tasks;
            spec.measure_residence = config.kernel_timestamps; // the peer's side of the split
            const AgentEndpointInfo info = agent->create_endpoint(spec);
            agent_endpoint = info.id;
            config.peer = info.endpoint;
            if (config.kernel_timestamps) // asked once per interval, at most 1 s each (agent_residence.h)
                config.residence = std::make_shared<AgentResidenceSource>(agent, info.id, kNanosPerSecond);
            const HostFacts& h = agent->host_facts();
            std::fprintf(stderr, "latency-ping: agent %s on %s (%s, %d cores, %s): endpoint %d at %s\n",
                         agent_url.c_str(), h.hostname.c_str(), h.cpu_model.c_str(), h.cores,
                         h.kernel.c_str(), info.id, info.endpoint.url().c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping: --agent: %s\n", e.what());
            return cli::kExitFailure;
        }
    }
    const auto release_endpoint = [&] {
        if (!agent || agent_endpoint < 0)
            return;
        try {
            agent->destroy_endpoint(std::exchange(agent_endpoint, -1));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping: note: the agent's endpoint was not destroyed: %s\n",
                         e.what());
        }
    };

    // Records go to standard output and --out. A sink that fails is dropped and the run stopped:
    // a reader that went away (EPIPE, `| head -1`) ends it cleanly; any other failure is an error
    // naming the file, and the other sink still gets the records up to the summary.
    std::vector<cli::OutputFile> sinks;
    sinks.push_back(cli::OutputFile::standard_output());
    if (!out.empty()) {
        try {
            sinks.push_back(cli::OutputFile::create(out));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping: error: %s\n", e.what());
            release_endpoint();
            return cli::kExitUsage;
        }
    }
    std::unique_ptr<HlogWriter> hlog_file;
    if (!hlog.empty()) {
        try {
            hlog_file = std::make_unique<HlogWriter>(hlog, wall_clock_s(), "[latency-ping]");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping: error: --hlog: %s\n", e.what());
            release_endpoint();
            return cli::kExitUsage;
        }
    }
    bool write_failed = false, reader_gone = false;
    const auto write = [&](const std::string& text) {
        bool ok = true;
        for (cli::OutputFile& sink : sinks) {
            if (sink.failed() || sink.write(text))
                continue;
            ok = false;
            if (sink.broken_pipe() && &sink == &sinks.front()) {
                reader_gone = true;
            } else {
                write_failed = true;
                std::fprintf(stderr, "latency-ping: error: %s\n", sink.error().c_str());
            }
        }
        return ok;
    };

    cli::install_stop_signals();
    PingSession session(config);
    try {
        session.start();
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "latency-ping: error: %s\n", e.what());
        release_endpoint();
        return cli::kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping: %s\n", e.what());
        release_endpoint();
        return cli::kExitFailure;
    }
    std::fprintf(
        stderr,
        "latency-ping: %s, engine %s, %s loop, rate %s, payload %s, %d tasks, ping on CPUs %s; warm-up %s, "
        "then %s\n",
        session.peer().url().c_str(), std::string(to_string(config.engine)).c_str(),
        config.open_loop ? "open" : "closed", format_rate(config.rate).c_str(),
        format_size(config.payload).c_str(), config.tasks, format_cpu_list(config.cpu).c_str(),
        format_duration(config.warmup).c_str(),
        config.duration > 0 ? format_duration(config.duration).c_str() : "until Ctrl-C");
    write(format_header(fmt_kind));

    bool stopping = false;
    std::size_t next_change = 0;
    IntervalRecord record;
    for (;;) {
        if (!stopping && (cli::stop_requested() || write_failed || reader_gone)) {
            stopping = true;
            session.stop();
        }
        while (next_change < changes.size() && !stopping &&
               session.elapsed_s() >= to_seconds(changes[next_change].at)) {
            try {
                session.apply(changes[next_change].key, changes[next_change].value);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "latency-ping: --set %s not applied: %s\n",
                             changes[next_change].text.c_str(), e.what());
            }
            ++next_change;
        }
        if (session.next_record(record, 20 * kNanosPerMilli)) {
            write(format_record(fmt_kind, record));
            if (hlog_file) {
                try {
                    hlog_file->write(record);
                } catch (const std::exception& e) {
                    // Like any other output: a failed write ends the run with an error naming the file.
                    std::fprintf(stderr, "latency-ping: error: --hlog: %s\n", e.what());
                    hlog_file.reset();
                    write_failed = true;
                }
            }
            if (record.kind == IntervalRecord::Kind::Summary)
                break;
        } else if (session.finished()) {
            break;
        }
    }
    release_endpoint();
    for (std::size_t i = 1; i < sinks.size(); ++i)
        if (!sinks[i].failed() && !sinks[i].close()) {
            write_failed = true;
            std::fprintf(stderr, "latency-ping: error: %s\n", sinks[i].error().c_str());
        }
    if (write_failed)
        return cli::kExitFailure;
    if (const std::string error = session.error(); !error.empty()) {
        std::fprintf(stderr, "latency-ping: the run ended early: %s\n", error.c_str());
        return cli::kExitFailure;
    }
    return cli::kExitOk;
}
