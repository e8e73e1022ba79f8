#include "session_file.h"

#include "file_io.h"
#include "histogram_json.h"
#include "json_fields.h"
#include "record_format.h"
#include "split_json.h"
#include "units.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace le {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "latency-explorer-session";
constexpr std::uint64_t kVersion = 1;

// session_from_json() throws these so that load_session() can word each kind around the path while
// callers of session_from_json() still see a plain std::runtime_error.
class SessionError : public std::runtime_error {
public:
    enum class Kind { NotSession, Version, Corrupt };
    SessionError(Kind kind, const std::string& message)
        : std::runtime_error(message)
        , m_kind(kind) {}
    Kind kind() const { return m_kind; }

private:
    Kind m_kind;
};

[[noreturn]] void corrupt(const std::string& detail) {
    throw SessionError(SessionError::Kind::Corrupt, "corrupt session: " + detail);
}

[[noreturn]] void not_session() {
    throw SessionError(SessionError::Kind::NotSession, "not a Latency Explorer session file");
}

// Keys come from the file; a megabyte-long one must not end up in an error message.
std::string shown_key(const std::string& key) {
    constexpr std::size_t kShown = 40;
    return key.size() <= kShown ? key : key.substr(0, kShown) + "...";
}

// Fields are named by their path in the document ("intervals[3].p50_us"); json_fields.h's readers
// throw JsonFieldError with that name, which session_from_json() words as "corrupt session: ...".
std::string path(const std::string& where, const char* key) {
    return fmt::format("{}.{}", where, key);
}

const json& member(const json& object, const std::string& where, const char* key) {
    return json_field(object, key, path(where, key));
}

// Every number in a record is a time, a rate or a latency: never negative.
double number(const json& object, const std::string& where, const char* key) {
    return json_nonnegative(member(object, where, key), path(where, key));
}

std::uint64_t count(const json& object, const std::string& where, const char* key) {
    return json_count(member(object, where, key), path(where, key));
}

const std::string& string_member(const json& object, const std::string& where, const char* key) {
    return json_string(member(object, where, key), path(where, key));
}

json record_to_json(const IntervalRecord& r) {
    json j = to_json(r);
    // The command-line rendering leaves bytes out; a saved run should not.
    j["bytes"] = r.bytes;
    return j;
}

// The kernel-timestamp split (older files and runs without one: absent, the record's default says so).
void read_split(const json& j, const std::string& where, IntervalRecord& r) {
    const auto a = j.find("split_available");
    if (a == j.end())
        return;
    r.split_available = json_string(*a, path(where, "split_available"));
    if (const auto p = j.find("peer_split_available"); p != j.end())
        r.peer_split_available = json_string(*p, path(where, "peer_split_available"));
    if (!r.has_split())
        return;
    r.split = split_from_json(member(j, where, "split"), path(where, "split"), r.has_peer_split());
}

IntervalRecord record_from_json(const json& j, const std::string& where, IntervalRecord::Kind kind) {
    json_object(j, where);
    const std::string type = kind == IntervalRecord::Kind::Summary ? "summary" : "interval";
    const json& t = member(j, where, "type");
    if (!t.is_string() || t.get_ref<const std::string&>() != type)
        corrupt(fmt::format("{}.type is not \"{}\"", where, type));

    IntervalRecord r;
    r.kind = kind;
    r.t_s = number(j, where, "t_s");
    r.duration_s = number(j, where, "duration_s");
    const json& target = member(j, where, "target_rate");
    r.target_rate = target.is_null() ? kRateInf : json_nonnegative(target, path(where, "target_rate"));
    r.achieved_rate = number(j, where, "achieved_rate");
    r.payload = count(j, where, "payload");
    const std::uint64_t tasks = count(j, where, "tasks");
    if (tasks > static_cast<std::uint64_t>(INT_MAX))
        corrupt(fmt::format("{}.tasks is out of range", where));
    r.tasks = static_cast<int>(tasks);
    r.sent = count(j, where, "sent");
    r.received = count(j, where, "received");
    r.lost = count(j, where, "lost");
    r.errors = count(j, where, "errors");
    r.bytes = count(j, where, "bytes");
    if (j.contains("strays")) // older files have none
        r.strays = count(j, where, "strays");
    if (j.contains("skipped")) // nor this
        r.skipped = count(j, where, "skipped");
    r.min_us = number(j, where, "min_us");
    r.mean_us = number(j, where, "mean_us");
    r.p50_us = number(j, where, "p50_us");
    r.p90_us = number(j, where, "p90_us");
    r.p99_us = number(j, where, "p99_us");
    r.p999_us = number(j, where, "p999_us");
    r.p9999_us = number(j, where, "p9999_us");
    r.max_us = number(j, where, "max_us");
    if (const auto e = j.find("engine"); e != j.end() && e->is_string()) // older files have none
        r.engine = e->get<std::string>();
    if (j.contains("send_lag_p50_us")) { // older files have no send lag
        r.send_lag_p50_us = number(j, where, "send_lag_p50_us");
        r.send_lag_p99_us = number(j, where, "send_lag_p99_us");
        r.send_lag_max_us = number(j, where, "send_lag_max_us");
        const json& sat = member(j, where, "saturated");
        if (!sat.is_boolean())
            corrupt(fmt::format("{}.saturated is not true or false", where));
        r.saturated = sat.get<bool>();
    }
    read_split(j, where, r);

    const json& changes = json_array(member(j, where, "changes"), path(where, "changes"));
    r.changes.reserve(changes.size());
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const json& c = changes[i];
        const std::string at = fmt::format("{}.changes[{}]", where, i);
        json_object(c, at);
        r.changes.push_back(
            {number(c, at, "t_s"), string_member(c, at, "key"), string_member(c, at, "value")});
    }
    return r;
}

// One record per line: a long run stays readable, diffable and greppable without the size of a fully
// indented dump.
std::string render(const json& doc) {
    const auto dump = [](const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); };
    std::string out = fmt::format(
        "{{\"format\":{},\"version\":{},\n\"name\":{},\n\"info\":{},\n\"intervals\":[",
        dump(doc.at("format")), dump(doc.at("version")), dump(doc.at("name")), dump(doc.at("info")));
    const json& intervals = doc.at("intervals");
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        out += i == 0 ? "\n" : ",\n";
        out += dump(intervals[i]);
    }
    out += "\n],\n";
    for (const char* optional : {"markers", "percentile_curve"}) { // as drawn: the window's curves and notes
        if (doc.contains(optional))
            out += fmt::format("\"{}\":{},\n", optional, dump(doc.at(optional)));
    }
    out += fmt::format("\"summary\":{},\n\"whole_run\":{}}}\n", dump(doc.at("summary")),
                       dump(doc.at("whole_run")));
    return out;
}

// Tells a damaged session file (worth "corrupt") from some other file, when the JSON does not parse.
// render() puts the format string at the very start.
bool looks_like_session(std::string_view text) {
    return text.substr(0, 200).find(fmt::format("\"{}\"", kFormat)) != std::string_view::npos;
}

// session_from_json() without the wording of a JsonFieldError as corruption.
RunHistory read_session(const json& doc, std::string default_name) {
    if (!doc.is_object())
        not_session();
    const auto format = doc.find("format");
    if (format == doc.end() || !format->is_string() || format->get_ref<const std::string&>() != kFormat)
        not_session();

    const auto version = doc.find("version");
    if (version == doc.end())
        corrupt("version is missing");
    if (!version->is_number_integer())
        corrupt("version is not an integer");
    if (version->get<std::int64_t>() < 0 && !version->is_number_unsigned())
        throw SessionError(SessionError::Kind::Version,
                           fmt::format("unsupported session version {}", version->get<std::int64_t>()));
    if (version->get<std::uint64_t>() != kVersion)
        throw SessionError(SessionError::Kind::Version,
                           fmt::format("unsupported session version {}", version->get<std::uint64_t>()));

    std::string name = std::move(default_name);
    if (const auto it = doc.find("name"); it != doc.end()) {
        const std::string& stored = json_string(*it, "name");
        if (!stored.empty())
            name = stored;
    }
    RunHistory run(std::move(name));

    const json& info = json_object(json_field(doc, "info", "info"), "info");
    for (const auto& [key, value] : info.items())
        run.info()[key] = json_string(value, "info." + shown_key(key));

    const json& intervals = json_array(json_field(doc, "intervals", "intervals"), "intervals");
    for (std::size_t i = 0; i < intervals.size(); ++i)
        run.add(
            record_from_json(intervals[i], fmt::format("intervals[{}]", i), IntervalRecord::Kind::Interval));

    // Optional (older files have neither): the curves as they were drawn, and the timeline markers.
    if (const auto it = doc.find("percentile_curve"); it != doc.end()) {
        const json& points = json_array(*it, "percentile_curve");
        std::vector<CurvePoint> curve;
        curve.reserve(points.size());
        for (std::size_t i = 0; i < points.size(); ++i) {
            const std::string at = fmt::format("percentile_curve[{}]", i);
            const json& p = json_array(points[i], at);
            if (p.size() != 3 + kCurveValues)
                corrupt(fmt::format("{} has {} values, not {}", at, p.size(), 3 + kCurveValues));
            CurvePoint c;
            c.t_s = json_number(p[0], at + "[0]");
            c.window_s = json_nonnegative(p[1], at + "[1]");
            c.samples = json_count(p[2], at + "[2]");
            double* values[] = {&c.p50_us, &c.p90_us, &c.p99_us, &c.p999_us, &c.max_us};
            for (std::size_t v = 0; v < kCurveValues; ++v)
                *values[v] = p[3 + v].is_null()
                                 ? CurvePoint::kNone
                                 : json_nonnegative(p[3 + v], fmt::format("{}[{}]", at, 3 + v));
            curve.push_back(c);
        }
        run.set_curve(std::move(curve));
    }
    if (const auto it = doc.find("markers"); it != doc.end()) {
        const json& markers = json_array(*it, "markers");
        for (std::size_t i = 0; i < markers.size(); ++i) {
            const std::string at = fmt::format("markers[{}]", i);
            const json& m = json_object(markers[i], at);
            run.add_marker(json_number(json_field(m, "t_s", at + ".t_s"), at + ".t_s"),
                           json_string(json_field(m, "key", at + ".key"), at + ".key"),
                           json_string(json_field(m, "value", at + ".value"), at + ".value"));
        }
    }

    const json& summary = json_field(doc, "summary", "summary");
    if (!summary.is_null())
        run.set_summary(record_from_json(summary, "summary", IntervalRecord::Kind::Summary));

    try {
        run.set_whole_run(histogram_from_json(json_field(doc, "whole_run", "whole_run"), "whole_run"));
    } catch (const SessionError&) {
        throw;
    } catch (const std::runtime_error& e) {
        corrupt(e.what());
    }
    return run;
}

} // namespace

nlohmann::json session_to_json(const RunHistory& run) {
    json intervals = json::array();
    for (const IntervalRecord& r : run.intervals())
        intervals.push_back(record_to_json(r));
    json curve = json::array();
    for (const CurvePoint& c : run.curve()) {
        json p = json::array({c.t_s, c.window_s, c.samples});
        for (std::size_t v = 0; v < kCurveValues; ++v)
            p.push_back(std::isnan(c.value(v)) ? json(nullptr) : json(c.value(v)));
        curve.push_back(std::move(p));
    }
    json markers = json::array();
    for (const ParamChange& m : run.markers())
        markers.push_back(json{{"t_s", m.t_s}, {"key", m.key}, {"value", m.value}});
    return json{
        // Named to sort after "format" in a sorted dump: readers look for it near the start.
        {"percentile_curve", std::move(curve)},
        {"markers", std::move(markers)},
        {"format", kFormat},
        {"version", kVersion},
        {"name", run.name()},
        {"info", run.info()},
        {"intervals", std::move(intervals)},
        {"summary", run.summary() ? record_to_json(*run.summary()) : json(nullptr)},
        {"whole_run", histogram_to_json(run.whole_run())},
    };
}

RunHistory session_from_json(const nlohmann::json& doc, std::string default_name) {
    try {
        return read_session(doc, std::move(default_name));
    } catch (const JsonFieldError& e) {
        corrupt(e.what());
    }
}

void save_session(const std::string& path, const RunHistory& run) {
    std::string text;
    try {
        text = render(session_to_json(run));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, e.what()));
    }
    write_file_atomically(path, text);
}

RunHistory session_from_text(std::string_view text, std::string default_name, std::string_view source) {
    // Messages read "PATH is not..." for a file and "not..." for text from elsewhere.
    const auto whole = [&](std::string_view message) {
        return source.empty() ? std::string(message) : fmt::format("{} is {}", source, message);
    };
    const auto part = [&](std::string_view message) {
        return source.empty() ? std::string(message) : fmt::format("{}: {}", source, message);
    };
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        throw std::runtime_error(whole("not a Latency Explorer session file (it is empty)"));
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        if (!looks_like_session(text))
            throw std::runtime_error(whole("not a Latency Explorer session file"));
        // Besides syntax errors the parser throws out_of_range for numbers beyond a double.
        if (const auto* syntax = dynamic_cast<const json::parse_error*>(&e))
            throw std::runtime_error(part(fmt::format(
                "corrupt session: not valid JSON at byte {} (the file may be truncated)", syntax->byte)));
        throw std::runtime_error(part("corrupt session: a number is out of range"));
    }
    try {
        return session_from_json(doc, std::move(default_name));
    } catch (const SessionError& e) {
        if (e.kind() == SessionError::Kind::NotSession)
            throw std::runtime_error(whole("not a Latency Explorer session file"));
        throw std::runtime_error(part(e.what()));
    }
}

RunHistory load_session(const std::string& path) {
    return session_from_text(read_file_bounded(path, kMaxSessionFileBytes, "Latency Explorer session file"),
                             std::filesystem::path(path).stem().string(), path);
}

} // namespace le
