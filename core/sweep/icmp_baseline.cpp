#include "icmp_baseline.h"

#include "child_process.h"
#include "units.h"

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

namespace le {
namespace {

constexpr std::size_t kMaxOtherLines = 8;

// The number that ends right before `pos` in `line` ("12 packets" with pos at " packets").
std::optional<double> number_before(std::string_view line, std::size_t pos) {
    std::size_t end = pos;
    while (end > 0 && line[end - 1] == ' ')
        --end;
    std::size_t begin = end;
    while (begin > 0 && (std::isdigit(static_cast<unsigned char>(line[begin - 1])) || line[begin - 1] == '.'))
        --begin;
    double v = 0;
    const auto [p, ec] = std::from_chars(line.data() + begin, line.data() + end, v);
    if (begin == end || ec != std::errc() || p != line.data() + end || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// The number that starts at `pos`: finite and not negative (from_chars also reads "nan", "inf" and
// "-5", which no ping prints for a time or an interval).
std::optional<double> number_at(std::string_view line, std::size_t pos) {
    double v = 0;
    const auto [p, ec] = std::from_chars(line.data() + pos, line.data() + line.size(), v);
    if (ec != std::errc() || p == line.data() + pos || !std::isfinite(v) || v < 0)
        return std::nullopt;
    return v;
}

// A count, saturated: casting a double beyond 2^64 to an integer is undefined behaviour.
std::uint64_t count_of(std::optional<double> v) {
    if (!v || *v < 0)
        return 0;
    if (*v >= 0x1p64)
        return UINT64_MAX;
    return static_cast<std::uint64_t>(*v);
}

// Longer than this is no round trip (and would not fit the nanoseconds' int64): not a reply.
constexpr double kMaxReplyMs = 1e12;

std::string interval_text(double seconds) {
    std::string s = fmt::format("{:.6f}", seconds);
    while (s.size() > 1 && s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

struct Spawned {
    IcmpOutput out;
    double wall_s = 0;
    int spawn_error = 0; // errno of posix_spawnp (ENOENT: no such binary)
    bool cancelled = false;
};

Spawned spawn_ping(const std::string& binary, const std::vector<std::string>& args,
                   const std::atomic<bool>* stop, Nanos give_up_after) {
    Spawned r;
    ChildOptions options;
    options.argv = {binary};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.merge_stderr = true;
    // Untranslated messages: the parser reads iputils' English.
    options.set_env = {"LC_ALL=C"};
    options.unset_env = {"LANG"};
    const Nanos start = now_ns();
    std::optional<ChildProcess> ping;
    try {
        ping.emplace(options);
    } catch (const ChildProcessError& e) {
        r.spawn_error = e.error();
        return r;
    }
    IcmpParser parser;
    bool killed = false;
    do {
        if (!killed && ((stop && stop->load()) || now_ns() - start > give_up_after)) {
            r.cancelled = stop && stop->load();
            ping->signal(SIGINT); // ping prints its summary on SIGINT
            killed = true;
        }
    } while (ping->read_output(50 * kNanosPerMilli,
                               [&](ChildStream, std::string_view bytes) { parser.feed(bytes); }));
    parser.finish();
    ping->wait();
    r.wall_s = to_seconds(now_ns() - start);
    r.out = parser.output();
    return r;
}

} // namespace

std::optional<double> IcmpOutput::send_rate() const {
    if (!time_ms || *time_ms < 10 || transmitted < 2)
        return std::nullopt; // a few ms at 1 ms resolution is no measurement
    return static_cast<double>(transmitted - 1) / (*time_ms / 1000.0);
}

void IcmpParser::feed_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.remove_suffix(1);
    if (line.empty())
        return;
    // Reply: "... bytes from HOST: icmp_seq=1 ttl=64 time=0.059 ms"
    if (line.find("bytes from") != std::string_view::npos) {
        if (const auto t = line.find("time="); t != std::string_view::npos) {
            if (const auto ms = number_at(line, t + 5); ms && *ms <= kMaxReplyMs) {
                m_out.rtt.record(std::llround(*ms * 1e6));
                ++m_out.replies;
                return;
            }
        }
    }
    // Summary: "12 packets transmitted, 8 received, +2 errors, 33.3% packet loss, time 1195ms"
    // busybox: "3 packets transmitted, 3 packets received, 0% packet loss"
    if (const auto t = line.find(" packets transmitted"); t != std::string_view::npos) {
        m_out.have_summary = true;
        m_out.transmitted = count_of(number_before(line, t));
        if (const auto r = line.find(" received"); r != std::string_view::npos) {
            std::size_t at = r;
            if (line.substr(0, r).ends_with(" packets"))
                at = r - 8;
            m_out.received = count_of(number_before(line, at));
        }
        if (const auto e = line.find(" errors"); e != std::string_view::npos)
            m_out.errors = count_of(number_before(line, e));
        if (const auto tm = line.find(", time "); tm != std::string_view::npos)
            m_out.time_ms = number_at(line, tm + 7);
        return;
    }
    if (line.starts_with("rtt ") || line.starts_with("round-trip "))
        return; // min/avg/max: the histogram has them exactly
    if (const auto m = line.find("minimal interval allowed for user is "); m != std::string_view::npos) {
        const std::size_t at = m + std::string_view("minimal interval allowed for user is ").size();
        if (const auto v = number_at(line, at)) {
            const bool ms = line.substr(at).find("ms") != std::string_view::npos;
            m_out.min_user_interval_s = ms ? *v / 1000.0 : *v;
        }
    }
    if (line.find("Operation not permitted") != std::string_view::npos ||
        line.find("Permission denied") != std::string_view::npos ||
        line.find("missing cap_net_raw") != std::string_view::npos)
        m_out.not_permitted = true;
    if (line.starts_with("PING "))
        return;
    if (m_out.other.size() < kMaxOtherLines)
        m_out.other.emplace_back(line);
}

void IcmpParser::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto nl = bytes.find('\n');
        if (m_pending.size() < kMaxLine)
            m_pending.append(bytes.substr(0, std::min(nl, kMaxLine - m_pending.size())));
        if (nl == std::string_view::npos)
            return;
        feed_line(m_pending);
        m_pending.clear();
        bytes.remove_prefix(nl + 1);
    }
}

void IcmpParser::finish() {
    if (!m_pending.empty())
        feed_line(m_pending);
    m_pending.clear();
}

IcmpOutput parse_ping_output(std::string_view text) {
    IcmpParser p;
    p.feed(text);
    p.finish();
    return p.output();
}

std::vector<std::string> ping_arguments(const std::string& host, double rate, Nanos duration,
                                        double interval_floor_s) {
    const double seconds = to_seconds(duration);
    // -w bounds the run whatever ping manages; -c stops it on time when it keeps the pace.
    std::vector<std::string> args{"-n", "-s", std::to_string(kIcmpPayload), "-w",
                                  std::to_string(std::max<long long>(1, std::llround(std::ceil(seconds))))};
    if (rate == kRateInf) {
        args.push_back("-A"); // adaptive: the next request as soon as the reply is in
        if (interval_floor_s > 0) {
            args.push_back("-i");
            args.push_back(interval_text(interval_floor_s));
        }
    } else {
        const double interval = std::max(1.0 / rate, interval_floor_s);
        const auto count = std::max<long long>(1, std::llround(seconds / interval));
        args.push_back("-c");
        args.push_back(std::to_string(count));
        args.push_back("-i");
        args.push_back(interval_text(interval));
    }
    args.push_back(host);
    return args;
}

SweepPointResult icmp_point_result(const IcmpOutput& out, double target_rate, double wall_s,
                                   const std::string& host) {
    SweepPointResult p;
    p.icmp = true;
    p.transport = "icmp";
    p.engine = "ping";
    p.payload = kIcmpPayload;
    p.target_rate = target_rate;
    p.rtt = out.rtt;
    p.sent = out.have_summary ? out.transmitted : out.replies;
    p.received = out.have_summary ? out.received : out.replies;
    p.errors = out.errors;
    p.lost = p.sent > p.received ? p.sent - p.received : 0;
    p.duration_s = out.time_ms && *out.time_ms >= 10 ? *out.time_ms / 1000.0 : wall_s;
    if (const auto r = out.send_rate())
        p.achieved_rate = *r;
    else
        p.achieved_rate = wall_s > 0 ? static_cast<double>(p.sent) / wall_s : 0;
    if (out.not_permitted) {
        p.error = fmt::format("the system ping is not permitted here (needs CAP_NET_RAW, root, or "
                              "net.ipv4.ping_group_range covering this user){}",
                              out.other.empty() ? "" : ": " + out.other.back());
    } else if (out.rtt.empty()) {
        std::string why = out.other.empty() ? std::string("no reply") : out.other.front();
        p.error = fmt::format("no ICMP echo from {}: {}", host, why);
    }
    return p;
}

SweepPointResult run_icmp_point(const std::string& host, double rate, Nanos duration,
                                const std::atomic<bool>* stop, const std::string& ping_binary) {
    const Nanos give_up = duration + 5 * kNanosPerSecond;
    Spawned s = spawn_ping(ping_binary, ping_arguments(host, rate, duration), stop, give_up);
    std::string note;
    if (s.spawn_error == 0 && s.out.min_user_interval_s && s.out.rtt.empty() && !s.cancelled) {
        const double floor = *s.out.min_user_interval_s;
        note = fmt::format("not root: ping allows users an interval of {} s at least (at most {} msg/s); "
                           "ran at that interval",
                           interval_text(floor), format_rate(std::floor(1.0 / floor)));
        s = spawn_ping(ping_binary, ping_arguments(host, rate, duration, floor), stop, give_up);
    }
    SweepPointResult p;
    if (s.spawn_error != 0) {
        p.icmp = true;
        p.transport = "icmp";
        p.engine = "ping";
        p.payload = kIcmpPayload;
        p.target_rate = rate;
        p.error = s.spawn_error == ENOENT
                      ? fmt::format("the system ping ('{}') is not installed", ping_binary)
                      : fmt::format("cannot run '{}': {}", ping_binary, std::strerror(s.spawn_error));
        return p;
    }
    p = icmp_point_result(s.out, rate, s.wall_s, host);
    if (s.cancelled)
        p.error = "cancelled";
    if (p.error.empty() && rate != kRateInf && p.achieved_rate < 0.8 * rate)
        note += fmt::format("{}ping reached {:.0f} msg/s of the {} asked for", note.empty() ? "" : "; ",
                            p.achieved_rate, format_rate(rate));
    else if (p.error.empty() && rate != kRateInf && p.achieved_rate > 1.25 * rate)
        note += fmt::format("{}ping sent at {:.0f} msg/s for the {} asked for (it cannot pace intervals "
                            "under 1 ms)",
                            note.empty() ? "" : "; ", p.achieved_rate, format_rate(rate));
    p.note = note;
    return p;
}

} // namespace le
