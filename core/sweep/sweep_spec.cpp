#include "sweep_spec.h"

#include "cpu_affinity.h"
#include "json_fields.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace le {
namespace {

// Exact and short: 1000 -> "1000", 12.5 -> "12.5", back-to-back -> "inf".
std::string rate_key(double rate) {
    return rate == kRateInf ? std::string("inf") : fmt::format("{}", rate);
}

template <class T> void check_unique(const std::vector<T>& v, std::string_view what) {
    if (v.empty())
        throw std::invalid_argument(fmt::format("the sweep needs at least one {}", what));
    if (std::set<T>(v.begin(), v.end()).size() != v.size())
        throw std::invalid_argument(fmt::format("a {} is listed twice", what));
}

} // namespace

SweepSpec study_preset() {
    SweepSpec s;
    s.rates = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, kRateInf};
    s.tasks = {0, 10, 100, 1000};
    s.payloads = {64};
    s.transports = {Transport::Tcp, Transport::Udp};
    s.engines = {EngineKind::Blocking};
    s.duration = 60 * kNanosPerSecond; // the study's 60 s per point
    s.warmup = kNanosPerSecond;
    return s;
}

SweepSpec quick_preset() {
    SweepSpec s;
    // 10 points of 3.3 s and the ICMP baseline at 5 rates: about a minute. At 10 msg/s a point
    // still has 30 round trips.
    s.rates = {10, 1e3, 1e4, 1e5, kRateInf};
    s.tasks = {0};
    s.payloads = {64};
    s.transports = {Transport::Tcp, Transport::Udp};
    s.engines = {EngineKind::Blocking};
    s.duration = 3 * kNanosPerSecond;
    s.warmup = 300 * kNanosPerMilli;
    return s;
}

SweepSpec frameworks_preset() {
    SweepSpec s;
    // 5 rates x 3 task counts x 6 engines x 2 transports = 180 points of 1.2 s: about 4 minutes.
    s.rates = {100, 1e3, 1e4, 1e5, kRateInf};
    s.tasks = {0, 10, 100};
    s.payloads = {64};
    s.transports = {Transport::Tcp, Transport::Udp};
    s.engines = {EngineKind::Blocking,    EngineKind::Asio,  EngineKind::Uring,
                 EngineKind::UringSqpoll, EngineKind::Libuv, EngineKind::Spin};
    s.duration = kNanosPerSecond;
    s.warmup = 200 * kNanosPerMilli;
    return s;
}

SweepSpec preset(std::string_view name) {
    if (name == "study")
        return study_preset();
    if (name == "quick")
        return quick_preset();
    if (name == "frameworks")
        return frameworks_preset();
    throw std::invalid_argument(
        fmt::format("unknown preset '{}' (expected study, quick or frameworks)", name));
}

void validate(const SweepSpec& s) {
    check_unique(s.rates, "rate");
    check_unique(s.payloads, "payload");
    check_unique(s.tasks, "task count");
    check_unique(s.transports, "transport");
    check_unique(s.engines, "engine");
    if (s.repeat < 1 || s.repeat > 1000)
        throw std::invalid_argument(fmt::format("repeat {} is out of range (1 to 1000)", s.repeat));
    // Counted before the grid is made: a huge one must be refused, not run out of memory.
    const double grid = static_cast<double>(s.rates.size()) * static_cast<double>(s.payloads.size()) *
                        static_cast<double>(s.tasks.size()) * static_cast<double>(s.transports.size()) *
                        static_cast<double>(s.engines.size()) * s.repeat;
    if (grid + static_cast<double>(s.rates.size() * s.payloads.size()) > static_cast<double>(kMaxSweepPoints))
        throw std::invalid_argument(
            fmt::format("the grid has {:.0f} points (rates x payloads x tasks x transports x "
                        "engines x repeat); a sweep holds at most {}",
                        grid, kMaxSweepPoints));
    if (s.duration < 100 * kNanosPerMilli)
        throw std::invalid_argument("the duration per point must be at least 100 ms");
    if (s.warmup < 0)
        throw std::invalid_argument("warm-up must not be negative");
    if (s.pause < 0)
        throw std::invalid_argument("pause must not be negative");
    if (s.base.peer)
        for (Transport t : s.transports)
            if (t != s.base.peer->transport)
                throw std::invalid_argument(
                    fmt::format("transport {} is not the peer's: {} speaks {} only (list that one, or "
                                "sweep against the local pong)",
                                to_string(t), s.base.peer->url(), to_string(s.base.peer->transport)));
    for (const SweepPoint& p : expand(s))
        if (!p.icmp)
            validate(p.config);
}

std::string SweepPoint::key() const {
    if (icmp)
        return fmt::format("icmp/payload={}/rate={}/rep={}", config.payload, rate_key(config.rate),
                           repetition);
    return fmt::format("{}/{}/tasks={}/payload={}/rate={}/rep={}", to_string(config.effective_transport()),
                       to_string(config.engine), config.tasks, config.payload, rate_key(config.rate),
                       repetition);
}

std::vector<SweepPoint> expand(const SweepSpec& s) {
    std::vector<SweepPoint> out;
    for (int rep = 0; rep < s.repeat; ++rep) {
        for (EngineKind e : s.engines)
            for (Transport t : s.transports)
                for (int k : s.tasks)
                    for (std::size_t payload : s.payloads)
                        for (double rate : s.rates) {
                            SweepPoint p;
                            p.index = out.size();
                            p.repetition = rep;
                            p.config = s.base;
                            p.config.engine = e;
                            p.config.transport = t;
                            p.config.tasks = k;
                            p.config.payload = payload;
                            p.config.rate = rate;
                            p.config.duration = s.duration;
                            p.config.warmup = s.warmup;
                            // One interval per point: the summary is what the figure needs.
                            p.config.interval = std::max<Nanos>(s.duration, 10 * kNanosPerMilli);
                            // Open loop has no back-to-back: that point is the closed-loop one.
                            if (rate == kRateInf)
                                p.config.open_loop = false;
                            out.push_back(std::move(p));
                        }
        if (s.icmp && rep == 0)
            for (double rate : s.rates) {
                SweepPoint p;
                p.index = out.size();
                p.icmp = true;
                p.config = s.base;
                p.config.rate = rate;
                p.config.payload = kIcmpPayload;
                p.config.duration = s.duration;
                p.config.warmup = 0;
                out.push_back(std::move(p));
            }
    }
    return out;
}

Nanos planned_time(const SweepSpec& s, const SweepPoint& p) {
    return (p.icmp ? 0 : s.warmup) + s.duration + s.pause;
}

nlohmann::json measurement_settings(const SweepSpec& s) {
    const PingConfig& b = s.base;
    return {
        {"duration_ns", s.duration},
        {"warmup_ns", s.warmup},
        {"peer", b.peer ? b.peer->url() : std::string("local")},
        {"open_loop", b.open_loop},
        {"timeout_ns", b.timeout},
        {"task_work_ns", b.task_work},
        {"task_period_ns", b.task_period},
        {"burst", b.burst},
        {"cpu", format_cpu_list(b.cpu)},
        {"pong_cpu", format_cpu_list(b.pong_cpu)},
        {"kernel_timestamps", b.kernel_timestamps},
    };
}

nlohmann::json spec_to_json(const SweepSpec& s) {
    nlohmann::json j = measurement_settings(s);
    nlohmann::json rates = nlohmann::json::array();
    for (double r : s.rates)
        rates.push_back(r == kRateInf ? nlohmann::json("inf") : nlohmann::json(r));
    j["rates"] = rates;
    j["payloads"] = s.payloads;
    j["tasks"] = s.tasks;
    nlohmann::json ts = nlohmann::json::array(), es = nlohmann::json::array();
    for (Transport t : s.transports)
        ts.push_back(std::string(to_string(t)));
    for (EngineKind e : s.engines)
        es.push_back(std::string(to_string(e)));
    j["transports"] = ts;
    j["engines"] = es;
    j["repeat"] = s.repeat;
    j["pause_ns"] = s.pause;
    j["icmp"] = s.icmp;
    j["icmp_host"] = s.icmp_host;
    return j;
}

SweepSpec spec_from_json(const nlohmann::json& j) {
    // Named by their key: "sweep spec: repeat must be an integer from ...".
    const auto field = [&](const char* name) -> const nlohmann::json& { return json_field(j, name, name); };
    const auto string = [&](const char* name) -> const std::string& {
        return json_string(field(name), name);
    };
    try {
        SweepSpec s;
        s.rates.clear();
        for (const auto& r : json_array(field("rates"), "rates"))
            s.rates.push_back(r.is_string() && r.get<std::string>() == "inf" ? kRateInf
                                                                             : json_number(r, "rates"));
        s.payloads = json_integers<std::size_t>(field("payloads"), "payloads");
        s.tasks = json_integers<int>(field("tasks"), "tasks");
        s.transports.clear();
        for (const auto& t : json_array(field("transports"), "transports"))
            s.transports.push_back(parse_transport(json_string(t, "transports")));
        s.engines.clear();
        for (const auto& e : json_array(field("engines"), "engines"))
            s.engines.push_back(parse_engine(json_string(e, "engines")));
        s.repeat = json_integer<int>(field("repeat"), "repeat");
        s.duration = json_integer<Nanos>(field("duration_ns"), "duration_ns");
        s.warmup = json_integer<Nanos>(field("warmup_ns"), "warmup_ns");
        s.pause = json_integer<Nanos>(field("pause_ns"), "pause_ns");
        s.icmp = json_bool(field("icmp"), "icmp");
        s.icmp_host = string("icmp_host");
        if (const auto& peer = string("peer"); peer != "local")
            s.base.peer = parse_endpoint(peer);
        s.base.open_loop = json_bool(field("open_loop"), "open_loop");
        s.base.timeout = json_integer<Nanos>(field("timeout_ns"), "timeout_ns");
        s.base.task_work = json_integer<Nanos>(field("task_work_ns"), "task_work_ns");
        s.base.task_period = json_integer<Nanos>(field("task_period_ns"), "task_period_ns");
        s.base.burst = json_integer<int>(field("burst"), "burst");
        // Sweeps saved before the split existed have no such field: they ran without it.
        if (const auto k = j.find("kernel_timestamps"); k != j.end())
            s.base.kernel_timestamps = json_bool(*k, "kernel_timestamps");
        if (const auto& cpu = string("cpu"); cpu != "any")
            s.base.cpu = parse_cpu_list(cpu);
        if (const auto& cpu = string("pong_cpu"); cpu != "any")
            s.base.pong_cpu = parse_cpu_list(cpu);
        return s;
    } catch (const JsonFieldError& e) {
        throw std::runtime_error(fmt::format("sweep spec: {}", e.what()));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(fmt::format("sweep spec: {}", e.what()));
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("sweep spec: {}", e.what()));
    }
}

} // namespace le
