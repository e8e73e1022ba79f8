#include "record_format.h"

#include "units.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace le {
namespace {

std::string_view type_of(const IntervalRecord& r) {
    return r.kind == IntervalRecord::Kind::Summary ? "summary" : "interval";
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
    j["min_us"] = r.min_us;
    j["mean_us"] = r.mean_us;
    j["p50_us"] = r.p50_us;
    j["p90_us"] = r.p90_us;
    j["p99_us"] = r.p99_us;
    j["p999_us"] = r.p999_us;
    j["p9999_us"] = r.p9999_us;
    j["max_us"] = r.max_us;
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
           "p50_us,p90_us,p99_us,p999_us,p9999_us,max_us,changes";
}

std::string format_csv_row(const IntervalRecord& r) {
    return fmt::format(
        "{},{:.3f},{},{:.1f},{},{},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{}",
        type_of(r), r.t_s, r.target_rate == kRateInf ? "inf" : fmt::format("{:g}", r.target_rate),
        r.achieved_rate, r.payload, r.tasks, r.sent, r.received, r.lost, r.errors, r.min_us, r.mean_us,
        r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.p9999_us, r.max_us, changes_text(r));
}

std::string text_header() {
    return fmt::format("{:>8} {:>7} {:>10} {:>8} {:>5} {:>9} {:>9} {:>6} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} "
                       "{:>8} {:>8} {:>8}",
                       "t_s", "target", "achieved", "payload", "tasks", "sent", "received", "lost", "errors",
                       "min_us", "mean_us", "p50_us", "p90_us", "p99_us", "p99.9_us", "p99.99", "max_us");
}

std::string format_text_row(const IntervalRecord& r) {
    std::string row = fmt::format(
        "{:>8.2f} {:>7} {:>10.1f} {:>8} {:>5} {:>9} {:>9} {:>6} {:>5} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} "
        "{:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f}",
        r.t_s, format_rate(r.target_rate), r.achieved_rate, format_size(r.payload), r.tasks, r.sent,
        r.received, r.lost, r.errors, r.min_us, r.mean_us, r.p50_us, r.p90_us, r.p99_us, r.p999_us,
        r.p9999_us, r.max_us);
    if (r.kind == IntervalRecord::Kind::Interval)
        for (const ParamChange& c : r.changes)
            row += fmt::format("\n{:>8.2f} change: {} -> {}", c.t_s, c.key, c.value);
    return row;
}

std::string format_text_summary(const IntervalRecord& s) {
    return fmt::format("summary over {:.2f} s: sent {}, received {}, lost {}, errors {}\n"
                       "rate: achieved {:.1f} msg/s (target {}), payload {}, {} compute tasks\n"
                       "RTT us: min {:.2f}  mean {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  p99.9 {:.2f}  "
                       "p99.99 {:.2f}  max {:.2f}",
                       s.duration_s, s.sent, s.received, s.lost, s.errors, s.achieved_rate,
                       format_rate(s.target_rate), format_size(s.payload), s.tasks, s.min_us, s.mean_us,
                       s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.p9999_us, s.max_us);
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
