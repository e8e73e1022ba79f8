#pragma once

#include "clock.h"
#include "sweep_result.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace le {

// The system `ping` as the sweep's baseline. ICMP echo is answered by the kernel alone, so it is a
// kernel-only floor, not a peer on equal footing with a user-space pong; the figure shows it dashed.

// What a ping run printed, parsed. Reply lines ("64 bytes from ...: icmp_seq=1 ttl=64 time=0.059
// ms", busybox "seq=0 ... time=0.062 ms") go into the histogram; the summary gives the counts.
struct IcmpOutput {
    Histogram rtt; // nanoseconds, from each reply's time=
    std::uint64_t replies = 0;
    bool have_summary = false;
    std::uint64_t transmitted = 0, received = 0, errors = 0;
    std::optional<double> time_ms; // iputils' "time 9011ms": first to last send
    // iputils refused a short interval for an unprivileged user: the smallest it allows, seconds.
    std::optional<double> min_user_interval_s;
    bool not_permitted = false;     // no raw socket and no ICMP datagram socket for this user
    std::vector<std::string> other; // lines that are neither replies nor summary (first few)

    // msg/s from the summary: (transmitted - 1) / (time of the last send - time of the first).
    // Nullopt when the summary lacks it (busybox) or the run was too short to time.
    std::optional<double> send_rate() const;
};

// Incremental, so a long run at high rate is parsed as it streams with constant memory.
class IcmpParser {
public:
    // Output as it arrives, in chunks of any size; lines longer than kMaxLine are cut there (no ping
    // prints one, and a runaway one must not grow without bound).
    void feed(std::string_view bytes);
    // The last line when the output did not end with a newline.
    void finish();
    void feed_line(std::string_view line);
    const IcmpOutput& output() const { return m_out; }

    static constexpr std::size_t kMaxLine = 4096;

private:
    IcmpOutput m_out;
    std::string m_pending; // the line being received
};
IcmpOutput parse_ping_output(std::string_view text); // pure: all lines through an IcmpParser

// The argument list for one ping at `rate` (kRateInf: adaptive, -A, i.e. back-to-back) for about
// `duration`; `interval_floor_s` > 0 clamps the interval (an unprivileged user's minimum).
std::vector<std::string> ping_arguments(const std::string& host, double rate, Nanos duration,
                                        double interval_floor_s = 0);

// Turns a parsed run into a sweep point (series "ICMP (system ping)"): counts, histogram, the
// achieved rate (from the summary, else `wall_s`), and `error` when nothing usable came back.
SweepPointResult icmp_point_result(const IcmpOutput& out, double target_rate, double wall_s,
                                   const std::string& host);

// Runs `ping_binary` (found on PATH) at `rate` against `host` for about `duration`; when an
// unprivileged user may not go below some interval, runs again at that interval and says so in
// the note. A missing binary or a refused socket gives a point with `error` set (a clear note
// for the figure), never an exception. `stop` ends the ping early (the point is then incomplete:
// error "cancelled").
SweepPointResult run_icmp_point(const std::string& host, double rate, Nanos duration,
                                const std::atomic<bool>* stop = nullptr,
                                const std::string& ping_binary = "ping");

} // namespace le
