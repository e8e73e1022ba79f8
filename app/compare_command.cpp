#include "compare_command.h"

#include "cli_support.h"
#include "compare.h"
#include "kernel_split.h"
#include "output_file.h"
#include "record_format.h"
#include "split_list.h"
#include "units.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

using namespace le;

void CompareCommand::add_to(CLI::App& app) {
    CLI::App* cmd =
        app.add_subcommand("compare", "measure several engines, transports or task counts "
                                      "alternately in short slices (A B A B ...) and print one table "
                                      "with ratios to the first");
    cmd->add_option("--engines", engines, "engines to compare (comma-separated)")->capture_default_str();
    cmd->add_option("--transport,--transports", transports, "transport(s): tcp, udp, unix (default tcp)");
    cmd->add_option("--tasks", tasks, "compute task count(s), e.g. 0,10,100");
    cmd->add_option("--rate", rate, "messages per second or inf")->capture_default_str();
    cmd->add_option("--payload", payload, "message size")->capture_default_str();
    cmd->add_option("--duration", duration, "measured time per variant, in slices")->capture_default_str();
    cmd->add_option("--slice", slice, "length of one slice")->capture_default_str();
    cmd->add_option("--format", format, "text, json or csv")->capture_default_str();
    cmd->add_option("--out", out, "also write the table to FILE");
    cmd->add_flag("--kernel-timestamps", kernel_timestamps,
                  "split every variant's round trips into send, wire and wake by kernel timestamps and "
                  "print their p50 and p99 per variant (JSON and CSV: split, split_available). Works with: " +
                      std::string(kKernelSplitSupport));
}

namespace {

// A list option of compare: when given, at least one value, and none twice (a variant measured twice).
template <class T>
void require_distinct(const char* option, const std::string& text, const std::vector<T>& values) {
    if (values.empty() && text.find_first_not_of(" \t") != std::string::npos)
        throw std::invalid_argument(fmt::format("{} '{}': give at least one value", option, text));
    for (std::size_t i = 0; i < values.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (values[i] == values[j])
                throw std::invalid_argument(
                    fmt::format("{} '{}': value {} repeats value {}", option, text, i + 1, j + 1));
}

} // namespace

int CompareCommand::run() const {
    PingConfig base;
    CompareOptions options;
    std::vector<EngineKind> es;
    std::vector<Transport> ts;
    std::vector<int> ks;
    RecordFormat fmt_kind;
    try {
        for (const auto& e : split_list(engines))
            es.push_back(parse_engine(e));
        for (const auto& t : split_list(transports))
            ts.push_back(parse_transport(t));
        for (const auto& k : split_list(tasks)) {
            const long long n = parse_count(k);
            if (n > kMaxTasks)
                throw std::invalid_argument(fmt::format("tasks {} is out of range (0 to {})", n, kMaxTasks));
            ks.push_back(static_cast<int>(n));
        }
        require_distinct("--engines", engines, es);
        require_distinct("--transports", transports, ts);
        require_distinct("--tasks", tasks, ks);
        base.rate = parse_rate(rate);
        base.payload = parse_size(payload);
        base.kernel_timestamps = kernel_timestamps;
        options.total_per_variant = parse_duration(duration);
        options.slice = parse_duration(slice);
        fmt_kind = parse_record_format(format);
        for (const auto& v : make_variants(base, es, ts, ks))
            validate(v.config);
        if (options.slice < 100 * kNanosPerMilli || options.total_per_variant < options.slice)
            throw std::invalid_argument("--slice must be at least 100 ms and no longer than --duration");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-ping compare: error: %s\n", e.what());
        return cli::kExitUsage;
    }
    std::optional<cli::OutputFile> file;
    if (!out.empty()) {
        try {
            file.emplace(cli::OutputFile::create(out));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "latency-ping compare: error: %s\n", e.what());
            return cli::kExitUsage;
        }
    }
    const auto variants = make_variants(base, es, ts, ks);
    cli::install_stop_signals();
    std::atomic<bool> stop{false};
    const Nanos started = now_ns();
    const bool tty = isatty(fileno(stderr));
    const auto results = run_compare(
        variants, options,
        [&](int done, int total) {
            if (cli::stop_requested())
                stop = true;
            const double elapsed = to_seconds(now_ns() - started);
            const double eta = done > 0 ? elapsed / done * (total - done) : 0;
            std::fprintf(stderr, "%sslice %d/%d, about %.0f s left%s", tty ? "\r" : "", done, total, eta,
                         tty ? "   " : "\n");
        },
        &stop);
    if (tty)
        std::fputs("\n", stderr);

    cli::OutputFile stdout_sink = cli::OutputFile::standard_output();
    std::string text;
    if (fmt_kind == RecordFormat::Text) {
        text = format_compare_table(results);
    } else {
        if (fmt_kind == RecordFormat::Csv)
            text = "variant," + csv_header() + "\n";
        for (const auto& r : results) {
            if (fmt_kind == RecordFormat::Json) {
                nlohmann::json j = to_json(r.summary);
                j["type"] = "compare";
                j["variant"] = r.name;
                j["p50_ratio"] = results.front().summary.p50_us > 0
                                     ? r.summary.p50_us / results.front().summary.p50_us
                                     : 0;
                j["p99_ratio"] = results.front().summary.p99_us > 0
                                     ? r.summary.p99_us / results.front().summary.p99_us
                                     : 0;
                if (!r.error.empty())
                    j["error"] = r.error;
                text += j.dump() + "\n";
            } else {
                text += "\"" + r.name + "\"," + format_csv_row(r.summary) + "\n";
            }
        }
    }
    bool failed = false;
    // The table is the whole result: a write that fails is an error naming the file (a reader
    // that went away from standard output is not).
    for (cli::OutputFile* sink : {&stdout_sink, file ? &*file : nullptr})
        if (sink && !(sink->write(text) && sink->close()) && !(sink == &stdout_sink && sink->broken_pipe())) {
            std::fprintf(stderr, "latency-ping compare: error: %s\n", sink->error().c_str());
            failed = true;
        }
    for (const auto& r : results)
        failed |= !r.error.empty() || r.summary.received == 0;
    return failed ? cli::kExitFailure : cli::kExitOk;
}
