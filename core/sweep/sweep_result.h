#pragma once

#include "histogram.h"
#include "split_stats.h"
#include "sweep_spec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace le {

// What one point of a sweep measured. Percentiles come from `rtt` (the whole point's histogram),
// so they are never stored apart from the data they summarise.
struct SweepPointResult {
    std::string key;       // SweepPoint::key()
    bool icmp = false;     // the system ping (kernel-only floor), not our ping-pong
    std::string transport; // "tcp", "udp", "unix"; "icmp" for the system ping
    std::string engine;    // "blocking", ...; "ping" for the system ping
    int tasks = 0;
    std::size_t payload = 0;
    double target_rate = 0;   // msg/s asked for, kRateInf = back-to-back
    double achieved_rate = 0; // msg/s measured: sent / measured time; what the figure's x is
    int repetition = 0;
    double duration_s = 0; // measured time
    std::uint64_t sent = 0, received = 0, lost = 0, errors = 0;
    double cpu_percent = 0;
    Histogram rtt;            // nanoseconds
    std::string error;        // the point failed: why (the sweep went on)
    std::string note;         // e.g. "not root: ping ran at -i 0.002"
    double finished_at_s = 0; // seconds since the sweep began (for ordering in the table)
    // The kernel-timestamp split of the point's round trips (split_stats.h), as its run's summary
    // said it: "yes", or "no: " and why not. Sweeps saved before the split have none: not asked for.
    std::string split_available = "no: not asked for (--kernel-timestamps)";
    SplitStats split; // meaningful only with split_available "yes"
    // The peer's side (split.pong, split.network), as IntervalRecord::peer_split_available says it.
    std::string peer_split_available = "no: not asked for (--kernel-timestamps)";

    // One curve of the figure: "blocking/tcp/0 tasks/64 B", "ICMP (system ping)".
    std::string series() const;
    double percentile_us(double p) const { return rtt.value_at_percentile(p) / 1000.0; }
    bool ok() const { return error.empty() && received > 0; }
    bool has_split() const { return split_available == "yes"; }
    bool has_peer_split() const { return has_split() && peer_split_available == "yes"; }
    double loss_percent() const {
        return sent > 0 ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent) : 0.0;
    }
};

// A sweep file: the spec it was run with, and the points measured so far (in the order measured).
struct SweepFile {
    SweepSpec spec;
    std::string started; // ISO 8601, when the sweep began
    std::string host;    // where it ran
    std::vector<SweepPointResult> points;

    // The point with `key` that succeeded, or null (failed points are measured again on resume).
    const SweepPointResult* done(const std::string& key) const;
};

// Two renderings, chosen by the file's extension (.csv or .json); both carry everything, including
// each point's full histogram, so either one alone loads back operator==-equal histograms.
//  CSV: plain CSV, the header row first, then one row per point; the histogram column holds
//       histogram_json.h's JSON (quoted), and the sweep's own fields are columns in every row:
//       sweep_version, spec (JSON, quoted), started, host (a sweep without points has one row of kind
//       "none" carrying them), and after them the kernel-timestamp split's columns (sweep_split.h;
//       files without them load as points without a split). The older form, "# latency-explorer sweep v1"
//       then "# spec {json}" and
//       "# started/host" comment lines before the header, is still read.
//  JSON: {"format":"latency-explorer-sweep","version":1,"spec":{...},"started":...,"host":...,
//         "points":[{...,"histogram":{...},"split_available":...,"split":{...}}]} (the last two
//         optional on reading)
// save_sweep writes the file as file_io.h's write_file_atomically does (temporary file, fsync,
// rename): after a crash the file holds every point written before it. Throws
// std::runtime_error("cannot write PATH: reason").
void save_sweep(const std::string& path, const SweepFile& file);
// Throws std::runtime_error for the user: "cannot read PATH: ...", "PATH is not a sweep file",
// "PATH line 7: ...", or a refusal of files larger than 512 MiB (checked before reading).
SweepFile load_sweep(const std::string& path);
// What load_sweep does once the bytes are read, for bytes from elsewhere (and for the fuzzer): `name`
// stands for the path in the errors.
SweepFile parse_sweep(std::string_view text, const std::string& name);
enum class SweepFormat { Csv, Json };
// The text save_sweep writes in `format`.
std::string render_sweep(const SweepFile& file, SweepFormat format);
// True when PATH starts like a sweep file (either rendering); never throws.
bool is_sweep_file(const std::string& path);

// The table printed at the end of a sweep: series, target and achieved rate, counts, loss and
// p50/p90/p99/p99.9/max in microseconds, one line per point, errors and notes below their row; with
// the kernel-timestamp split asked for, a second table of each point's parts (split_table.h).
// (sweep_table.cpp)
std::string format_sweep_table(const SweepFile& file);

// Local host name and the current time in ISO 8601, for a new file.
std::string sweep_host_name();
std::string sweep_timestamp();

} // namespace le
