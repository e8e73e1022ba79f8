#include "run_export.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace le {

namespace {

std::string info_of(const std::map<std::string, std::string>& info, const char* key) {
    const auto it = info.find(key);
    return it == info.end() ? std::string() : it->second;
}

// A CSV field as RFC 4180 quotes it, when it has to be.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

void write_row(std::ostream& out, RecordFormat format, const IntervalRecord& r,
               const std::map<std::string, std::string>& info, const std::string& segment) {
    if (format == RecordFormat::Csv) {
        out << csv_field(info_of(info, "engine")) << ',' << csv_field(info_of(info, "transport")) << ','
            << csv_field(info_of(info, "peer")) << ',' << segment << ',' << format_csv_row(r) << '\n';
        return;
    }
    nlohmann::json j = to_json(r);
    j["engine"] = info_of(info, "engine");
    j["transport"] = info_of(info, "transport");
    j["peer"] = info_of(info, "peer");
    if (segment == "all")
        j["segment"] = segment;
    else
        j["segment"] = std::stoi(segment);
    out << j.dump() << '\n';
}

} // namespace

IntervalRecord whole_run_summary(const RunHistory& run) {
    IntervalRecord s;
    s.kind = IntervalRecord::Kind::Summary;
    const auto& intervals = run.intervals();
    for (const auto& r : intervals) {
        s.add_counts(r);
        s.cpu_percent += r.cpu_percent * r.duration_s;
        worst_send_lag(s, r);
        s.changes.insert(s.changes.end(), r.changes.begin(), r.changes.end());
    }
    if (!intervals.empty()) {
        const auto& last = intervals.back();
        s.t_s = last.t_s;
        s.target_rate = last.target_rate;
        s.payload = last.payload;
        s.tasks = last.tasks;
        s.burst = last.burst;
        s.ping_cpus = last.ping_cpus;
        s.pong_cpus = last.pong_cpus;
        s.engine = last.engine;
    } else if (run.summary()) {
        return *run.summary(); // a saved run without intervals: its summary is all there is
    }
    if (s.duration_s > 0) {
        s.achieved_rate = double(s.sent) / s.duration_s;
        s.cpu_percent /= s.duration_s;
    }
    s.set_stats(stats_of(run.whole_run()));
    if (const IntervalRecord* whole = run.summary() ? &*run.summary() : nullptr) {
        // The session's own summary has the exact lag percentiles of the whole run.
        s.send_lag_p50_us = whole->send_lag_p50_us;
        s.send_lag_p99_us = whole->send_lag_p99_us;
        s.send_lag_max_us = std::max(s.send_lag_max_us, whole->send_lag_max_us);
        s.saturated = s.saturated || whole->saturated;
    }
    if (!run.whole_first().empty()) {
        s.first = stats_of(run.whole_first());
        s.rest = stats_of(run.whole_rest());
    }
    return s;
}

void write_run_records(std::ostream& out, RecordFormat format, const RunHistory& run) {
    if (format == RecordFormat::Text)
        throw std::invalid_argument("run records are exported as csv or json");
    if (format == RecordFormat::Csv)
        out << "engine,transport,peer,segment," << csv_header() << '\n';
    const auto& segments = run.segments();
    const auto& intervals = run.intervals();
    std::size_t segment = 0;
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        while (segment < segments.size() && i >= segments[segment].end)
            ++segment;
        const auto& info = segment < segments.size() ? segments[segment].info : run.info();
        write_row(out, format, intervals[i], info, std::to_string(segment + 1));
    }
    if (segments.size() > 1)
        for (std::size_t k = 0; k < segments.size(); ++k)
            write_row(out, format, segments[k].summary, segments[k].info, std::to_string(k + 1));
    if (!intervals.empty() || run.summary())
        write_row(out, format, whole_run_summary(run), run.info(), "all");
}

} // namespace le
