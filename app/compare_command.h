#pragma once

#include <CLI/CLI.hpp>

#include <string>

// `latency-ping compare`: A/B runs of several engines, transports or task counts, alternated in
// short slices, printed as one table.
struct CompareCommand {
    std::string engines = "blocking,asio";
    std::string transports;
    std::string tasks;
    std::string rate = "inf", payload = "64", duration = "10s", slice = "1s", format = "text", out;
    bool kernel_timestamps = false;

    void add_to(CLI::App& app);
    int run() const; // exit code
};
