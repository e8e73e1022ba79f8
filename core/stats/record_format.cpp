#include "record_format.h"

#include "split_json.h"
#include "units.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace le {
namespace {

std::string_view type_of(const IntervalRecord& r) {
    return r.kind == IntervalRecord::Kind::Summary ? "summary" : "interval";
}

nlohmann::json stats_json(const RttStats& s) {
    return {{"count", s.count},     {"min_us", s.min_us},     {"mean_us", s.mean_us},
            {"p50_us", s.p50_us},   {"p90_us", s.p90_us},     {"p99_us", s.p99_us},
            {"p999_us", s.p999_us}, {"p9999_us", s.p9999_us}, {"max_us", s.max_us}};
}

// Null without a split: never a zero that looks measured.
nlohmann::json split_json(const IntervalRecord& r) {
    if (!r.has_split())
        return nullptr;
    return split_to_json(r.split, r.has_peer_split());
}

// CSV: the parts' p50/p90/p99/max and the two counts, empty cells without a split.
std::string split_csv(const IntervalRecord& r) {
    if (!r.has_split())
        return std::string(14, ','); // 12 percentiles, 2 counts
    std::string out;
    for (const PartStats* p : {&r.split.send, &r.split.wire, &r.split.wake})
        out += fmt::format(",{:.3f},{:.3f},{:.3f},{:.3f}", p->p50_us, p->p90_us, p->p99_us, p->max_us);
    return out + fmt::format(",{},{}", r.split.unstamped, r.split.discarded);
}

// CSV: the peer's side, pong and network p50/p90/p99/max, empty cells without it.
std::string peer_csv(const IntervalRecord& r) {
    if (!r.has_peer_split())
        return std::string(8, ',');
    std::string out;
    for (const PartStats* p : {&r.split.pong, &r.split.network})
        out += fmt::format(",{:.3f},{:.3f},{:.3f},{:.3f}", p->p50_us, p->p90_us, p->p99_us, p->max_us);
    return out;
}

std::string csv_quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string changes_text(const IntervalRecord& r) {
    std::string out;
    for (const ParamChange& c : r.changes) {
        if (!out.empty())
            out += ';';
        out += fmt::format("{:.3f}s:{}={}", c.t_s, c.key, c.value);
    }
    return out;
}

} // namespace

RecordFormat parse_record_format(std::string_view text) {
    if (text == "text")
        return RecordFormat::Text;
    if (text == "json")
        return RecordFormat::Json;
    if (text == "csv")
        return RecordFormat::Csv;
    throw std::invalid_argument(fmt::format("invalid format '{}' (expected text, json or csv)", text));
}

nlohmann::json to_json(const IntervalRecord& r) {
    nlohmann::json j;
    j["type"] = type_of(r);
    j["t_s"] = r.t_s;
    j["duration_s"] = r.duration_s;
    j["target_rate"] = r.target_rate == kRateInf ? nlohmann::json(nullptr) : nlohmann::json(r.target_rate);
    j["achieved_rate"] = r.achieved_rate;
    j["payload"] = r.payload;
    j["tasks"] = r.tasks;
    j["sent"] = r.sent;
    j["received"] = r.received;
    j["lost"] = r.lost;
    j["errors"] = r.errors;
    j["strays"] = r.strays;
    j["skipped"] = r.skipped;
    j["min_us"] = r.min_us;
    j["mean_us"] = r.mean_us;
    j["p50_us"] = r.p50_us;
    j["p90_us"] = r.p90_us;
    j["p99_us"] = r.p99_us;
    j["p999_us"] = r.p999_us;
    j["p9999_us"] = r.p9999_us;
    j["max_us"] = r.max_us;
    j["send_lag_p50_us"] = r.send_lag_p50_us;
    j["send_lag_p99_us"] = r.send_lag_p99_us;
    j["send_lag_max_us"] = r.send_lag_max_us;
    j["saturated"] = r.saturated;
    j["cpu_percent"] = r.cpu_percent;
    j["engine"] = r.engine;
    j["ping_cpus"] = r.ping_cpus;
    j["pong_cpus"] = r.pong_cpus;
    j["burst"] = r.burst;
    if (r.burst > 1) {
        j["first"] = stats_json(r.first);
        j["rest"] = stats_json(r.rest);
    }
    j["split_available"] = r.split_available;
    j["peer_split_available"] = r.peer_split_available;
    j["split"] = split_json(r);
    j["changes"] = nlohmann::json::array();
    for (const ParamChange& c : r.changes)
        j["changes"].push_back({{"t_s", c.t_s}, {"key", c.key}, {"value", c.value}});
    return j;
}

std::string format_json_line(const IntervalRecord& r) {
    return to_json(r).dump();
}

std::string csv_header() {
    return "type,t_s,target_rate,achieved_rate,payload,tasks,sent,received,lost,errors,min_us,mean_us,"
           "p50_us,p90_us,p99_us,p999_us,p9999_us,max_us,changes,cpu_percent,ping_cpus,pong_cpus,burst,"
           "first_p50_us,first_p99_us,rest_p50_us,rest_p99_us,engine,send_lag_p50_us,send_lag_p99_us,"
           "send_lag_max_us,saturated,split_available,"
           "split_send_p50_us,split_send_p90_us,split_send_p99_us,split_send_max_us,"
           "split_wire_p50_us,split_wire_p90_us,split_wire_p99_us,split_wire_max_us,"
           "split_wake_p50_us,split_wake_p90_us,split_wake_p99_us,split_wake_max_us,"
           "split_unstamped,split_discarded,strays,peer_split_available,"
           "split_pong_p50_us,split_pong_p90_us,split_pong_p99_us,split_pong_max_us,"
           "split_network_p50_us,split_network_p90_us,split_network_p99_us,split_network_max_us,skipped";
}

std::string format_csv_row(const IntervalRecord& r) {
    return fmt::format("{},{:.3f},{},{:.1f},{},{},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:."
                       "3f},{:.3f},{},"
                       "{:.1f},\"{}\",\"{}\",{},{:.3f},{:.3f},{:.3f},{:.3f},{},{:.3f},{:.3f},{:.3f},{}",
                       type_of(r), r.t_s,
                       r.target_rate == kRateInf ? "inf" : fmt::format("{:g}", r.target_rate),
                       r.achieved_rate, r.payload, r.tasks, r.sent, r.received, r.lost, r.errors, r.min_us,
                       r.mean_us, r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.p9999_us, r.max_us,
                       changes_text(r), r.cpu_percent, r.ping_cpus, r.pong_cpus, r.burst, r.first.p50_us,
                       r.first.p99_us, r.rest.p50_us, r.rest.p99_us, r.engine, r.send_lag_p50_us,
                       r.send_lag_p99_us, r.send_lag_max_us, r.saturated ? "true" : "false") +
           "," + csv_quoted(r.split_available) + split_csv(r) + fmt::format(",{}", r.strays) + "," +
           csv_quoted(r.peer_split_available) + peer_csv(r) + fmt::format(",{}", r.skipped);
}

std::string text_header() {
    return fmt::format("{:>8} {:>7} {:>10} {:>8} {:>5} {:>9} {:>9} {:>6} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} "
                       "{:>8} {:>8} {:>8} {:>5} {:>8} {:>8}",
                       "t_s", "target", "achieved", "payload", "tasks", "sent", "received", "lost", "errors",
                       "min_us", "mean_us", "p50_us", "p90_us", "p99_us", "p99.9_us", "p99.99", "max_us",
                       "cpu%", "lag50_us", "lag99_us");
}

std::string format_text_row(const IntervalRecord& r) {
    std::string row = fmt::format(
        "{:>8.2f} {:>7} {:>10.1f} {:>8} {:>5} {:>9} {:>9} {:>6} {:>5} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} "
        "{:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>5.0f} {:>8.2f} {:>8.2f}{}",
        r.t_s, format_rate(r.target_rate), r.achieved_rate, format_size(r.payload), r.tasks, r.sent,
        r.received, r.lost, r.errors, r.min_us, r.mean_us, r.p50_us, r.p90_us, r.p99_us, r.p999_us,
        r.p9999_us, r.max_us, r.cpu_percent, r.send_lag_p50_us, r.send_lag_p99_us,
        r.saturated ? " SATURATED" : "");
    if (r.burst > 1)
        row +=
            fmt::format("\n{:>8} burst of {}: first p50 {:.2f} p99 {:.2f} max {:.2f} | rest p50 {:.2f} p99 "
                        "{:.2f} max {:.2f}",
                        "", r.burst, r.first.p50_us, r.first.p99_us, r.first.max_us, r.rest.p50_us,
                        r.rest.p99_us, r.rest.max_us);
    if (r.kind == IntervalRecord::Kind::Interval)
        for (const ParamChange& c : r.changes)
            row += fmt::format("\n{:>8.2f} change: {} -> {}", c.t_s, c.key, c.value);
    return row;
}

std::string format_text_summary(const IntervalRecord& s) {
    std::string text = fmt::format(
        "summary over {:.2f} s: sent {}, received {}, lost {}, errors {}\n"
        "rate: achieved {:.1f} msg/s (target {}), payload {}, {} compute tasks; engine {}; CPU {:.0f}% of a "
        "core; ping on CPUs {}, pong on CPUs {}\n"
        "RTT us: min {:.2f}  mean {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  p99.9 {:.2f}  p99.99 {:.2f}  "
        "max {:.2f}",
        s.duration_s, s.sent, s.received, s.lost, s.errors, s.achieved_rate, format_rate(s.target_rate),
        format_size(s.payload), s.tasks, s.engine.empty() ? "?" : s.engine, s.cpu_percent, s.ping_cpus,
        s.pong_cpus, s.min_us, s.mean_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.p9999_us, s.max_us);
    const auto line = [](std::string_view name, const RttStats& x) {
        return fmt::format(
            "\n{} ({} round trips) us: min {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  p99.9 {:.2f}  "
            "max {:.2f}",
            name, x.count, x.min_us, x.p50_us, x.p90_us, x.p99_us, x.p999_us, x.max_us);
    };
    text += fmt::format("\nsend lag us (how late sends left against their schedule): p50 {:.2f}  p99 {:.2f}  "
                        "max {:.2f}",
                        s.send_lag_p50_us, s.send_lag_p99_us, s.send_lag_max_us);
    if (s.saturated)
        text +=
            "\nSATURATED: the instrument could not keep its schedule (send lag over a tenth of the period); "
            "its own queue is in these RTTs";
    if (s.burst > 1)
        text += line(fmt::format("first of each burst of {}", s.burst), s.first) +
                line("rest of the burst", s.rest);
    if (s.skipped)
        text +=
            fmt::format("\nskipped: {} scheduled sends, whose slot passed while the ping waited for an echo "
                        "or for the CPU (closed loop sends no catch-up burst): sent + skipped = the "
                        "schedule",
                        s.skipped);
    if (s.strays)
        text +=
            fmt::format("\nstrays: {} echoes of no message sent (a sequence number never sent, or shorter "
                        "than one): the peer or the path sends more than it should; not in the counts",
                        s.strays);
    if (s.has_split()) {
        const auto part = [](std::string_view name, const PartStats& p) {
            return fmt::format("\n  {} us: p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}  mean {:.2f}", name,
                               p.p50_us, p.p90_us, p.p99_us, p.max_us, p.mean_us);
        };
        text += fmt::format("\nsplit by kernel timestamps ({} round trips; {} unstamped, {} discarded):",
                            s.split.send.count, s.split.unstamped, s.split.discarded) +
                part("send", s.split.send) + part("wire", s.split.wire) + part("wake", s.split.wake);
        if (s.has_peer_split())
            text += fmt::format("\n  the peer's side of wire ({} requests):", s.split.pong.count) +
                    part("pong", s.split.pong) + part("network", s.split.network);
        else
            text += "\n  the peer's side: " + s.peer_split_available;
    } else if (s.split_available.rfind("no: not asked", 0) != 0) {
        text += "\nsplit by kernel timestamps: " + s.split_available;
    }
    return text;
}

std::string format_header(RecordFormat f) {
    switch (f) {
    case RecordFormat::Text:
        return text_header() + "\n";
    case RecordFormat::Csv:
        return csv_header() + "\n";
    case RecordFormat::Json:
        break;
    }
    return {};
}

std::string format_record(RecordFormat f, const IntervalRecord& r) {
    switch (f) {
    case RecordFormat::Text:
        if (r.kind == IntervalRecord::Kind::Summary)
            return fmt::format("{}\n{}\n", format_text_row(r), format_text_summary(r));
        return format_text_row(r) + "\n";
    case RecordFormat::Csv:
        return format_csv_row(r) + "\n";
    case RecordFormat::Json:
        return format_json_line(r) + "\n";
    }
    return {};
}

} // namespace le
