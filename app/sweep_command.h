#pragma once

#include <CLI/CLI.hpp>

#include <string>

// `latency-ping sweep`: the study's figure as one command. Runs a grid of rate x payload x tasks x
// transport x engine points (and the system ping at each rate), saves each point as it finishes,
// shows progress with an ETA and prints the table at the end.
struct SweepCommand {
    std::string preset, rates, tasks, payloads, transports, engines, duration, warmup, pause, out, hlog, peer,
        icmp_host, ping_binary = "ping";
    int repeat = 0; // 0: the preset's (or 1)
    bool resume = false, force = false, icmp = true, open_loop = false, kernel_timestamps = false;

    void add_to(CLI::App& app);
    int run() const; // exit code
};
