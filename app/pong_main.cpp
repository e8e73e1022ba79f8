// latency-pong: an echo peer on one or more endpoints, serving until SIGINT or SIGTERM.
#include "cli_support.h"

#include "endpoint.h"
#include "pong_server.h"
#include "units.h"

#include <cstdio>
#include <thread>

using namespace le;

int main(int argc, char** argv) {
    CLI::App app{"Echoes every byte it receives on each endpoint (a valid peer for any ping), until\n"
                 "SIGINT or SIGTERM. Prints 'listening on URL' per endpoint once ready.",
                 "latency-pong"};
    std::vector<std::string> listen{"tcp://127.0.0.1:7700"};
    std::string engine = "asio", tasks = "0", task_work = "20us", task_period = "1ms";
    int max_connections = 1024;
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast); // later flags win
    const auto check = [](auto parse) {
        return CLI::Validator(
            [parse](std::string& s) -> std::string {
                try {
                    parse(s);
                    return {};
                } catch (const std::exception& e) {
                    return e.what();
                }
            },
            "");
    };
    app.add_option("--listen", listen,
                   "endpoint(s): tcp://HOST:PORT, udp://HOST:PORT, unix:///path (port 0 = any)")
        ->check(check([](const std::string& s) { parse_endpoint(s); }))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->capture_default_str();
    app.add_option("--engine", engine, "blocking (thread per connection) or asio (one io_context thread)")
        ->check(check([](const std::string& s) { parse_engine(s); }))
        ->capture_default_str();
    app.add_option("--tasks", tasks, "CPU-bound compute tasks sharing the pong's engine")
        ->check(check([](const std::string& s) { parse_count(s); }))
        ->capture_default_str();
    app.add_option("--task-work", task_work, "CPU work per task wake-up")
        ->check(check([](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--task-period", task_period, "how often each task wakes")
        ->check(check([](const std::string& s) { parse_duration(s); }))
        ->capture_default_str();
    app.add_option("--max-connections", max_connections, "further connections are closed at once")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    if (const int rc = cli::parse(app, argc, argv); rc >= 0)
        return rc;

    PongConfig config;
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
        if (config.task_period < 10 * kNanosPerMicro)
            throw std::invalid_argument("task period must be at least 10 us");
        config.max_connections = max_connections;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: error: %s\n", e.what());
        return cli::kExitUsage;
    }

    cli::install_stop_signals();
    std::unique_ptr<PongServer> server;
    try {
        server = start_pong(config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-pong: %s\n", e.what());
        return cli::kExitFailure;
    }
    for (const Endpoint& ep : server->endpoints())
        std::printf("listening on %s\n", ep.url().c_str());
    std::fflush(stdout);
    while (!cli::stop_requested())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server->stop();
    const PongStats& s = server->stats();
    std::fprintf(stderr, "latency-pong: stopped; %llu connections served, %llu refused, %llu bytes echoed\n",
                 static_cast<unsigned long long>(s.accepted.load()),
                 static_cast<unsigned long long>(s.refused.load()),
                 static_cast<unsigned long long>(s.bytes.load()));
    return cli::kExitOk;
}
