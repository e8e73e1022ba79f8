#pragma once

// What the command-line benchmarks share: their option syntax ("--name value" or "--name=value",
// lists as "a,b,c") and running the programs they measure as children, pinned where asked, with
// the children's diagnostics on our stderr.
#include "pong_child.h"

#include <QProcess>

#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sched.h>
#include <unistd.h>

// The programs measured, where the build did not say (it passes their paths as definitions).
#ifndef LE_PING_PATH
#define LE_PING_PATH "latency-ping"
#endif
#ifndef LE_PONG_PATH
#define LE_PONG_PATH "latency-pong"
#endif

// "a,b,,c" -> {"a", "b", "c"}: empty items are dropped.
inline std::vector<std::string> splitList(const std::string& s) {
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

// A command line as it would be typed, for messages.
inline std::string joinArgs(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv)
        s += (s.empty() ? "" : " ") + a;
    return s;
}

// How a child ended: "exit code N" or "signal N (name)".
inline std::string describeExit(QProcess::ExitStatus status, int code) {
    if (status == QProcess::NormalExit)
        return fmt::format("exit code {}", code);
    return fmt::format("signal {} ({})", code, strsignal(code));
}

inline std::string describeExit(const Result& r) {
    return describeExit(r.exitStatus, r.exitCode);
}

// Sets up a benchmark's child: stdout is read by us, stderr goes to ours so the child's
// diagnostics reach the user, and it runs on `cpu` from its first instruction (-1: left to the
// scheduler), so its threads inherit the placement.
inline std::function<void(QProcess&)> benchChild(int cpu) {
    return [cpu](QProcess& p) {
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        if (cpu < 0)
            return;
        const std::string warning = fmt::format("warning: cannot pin a child to CPU {}\n", cpu);
        p.setChildProcessModifier([cpu, warning] {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            if (sched_setaffinity(0, sizeof set, &set) != 0) { // in the child: async-signal-safe calls only
                [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, warning.data(), warning.size());
            }
        });
    };
}

inline QStringList toQStringList(const std::vector<std::string>& args) {
    QStringList list;
    for (const auto& a : args)
        list << QString::fromStdString(a);
    return list;
}

// Runs argv (the program first) to the end on `cpu`, killing it after timeoutS. Nothing when it
// could not start (said on stderr).
inline std::optional<Result> runToEnd(const std::vector<std::string>& argv, double timeoutS, int cpu = -1) {
    const QStringList args = toQStringList(argv);
    Result r = run(args.front(), args.mid(1), int(timeoutS * 1000), benchChild(cpu));
    if (!r.started) {
        fmt::print(stderr, "cannot start {}\n", argv.front());
        return std::nullopt;
    }
    return r;
}

// The next option of the command line from argv[i] ("--name value", i then moves past the value,
// or "--name=value"). -h and --help come back with an empty value; any other option without a
// value calls usage(argv[0], 2).
struct Option {
    std::string name, value;
};
inline Option nextOption(int argc, char** argv, int& i, void (*usage)(const char*, int)) {
    Option o{argv[i], {}};
    if (o.name == "-h" || o.name == "--help")
        return o;
    if (const size_t eq = o.name.find('='); eq != std::string::npos) {
        o.value = o.name.substr(eq + 1);
        o.name.resize(eq);
    } else if (i + 1 < argc) {
        o.value = argv[++i];
    } else {
        fmt::print(stderr, "{} needs a value\n", o.name);
        usage(argv[0], 2);
    }
    return o;
}
