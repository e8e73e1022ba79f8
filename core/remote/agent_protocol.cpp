#include "agent_protocol.h"

#include "base64.h"
#include "hdr_codec.h"
#include "impairments.h"
#include "json_fields.h"

#include <fmt/format.h>

#include <cmath>

namespace le {
namespace {

using nlohmann::json;

// Nesting depth outside strings, so a line of 60,000 '[' is refused before the parser sees it.
bool too_deep(std::string_view line) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (const char c : line) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kAgentMaxDepth)
                return true;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return false;
}

std::string preview(std::string_view line) {
    std::string out;
    for (const char c : line.substr(0, 40))
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return line.size() > 40 ? out + "..." : out;
}

// The wire names a field "field 'port'"; json_fields.h's errors become AgentProtocolError.
std::string wire_name(const char* key) {
    return fmt::format("field '{}'", key);
}

template <class Read> decltype(auto) as_protocol_error(Read&& read) {
    try {
        return read();
    } catch (const JsonFieldError& e) {
        throw AgentProtocolError(e.what());
    }
}

} // namespace

AgentParseResult parse_agent_message(std::string_view line) noexcept {
    AgentParseResult result;
    try {
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.size() > kAgentMaxLine) {
            result.error = fmt::format("message of {} bytes is longer than the limit of {} bytes",
                                       line.size(), kAgentMaxLine);
            return result;
        }
        if (too_deep(line)) {
            result.error = fmt::format("message nests deeper than {} levels", kAgentMaxDepth);
            return result;
        }
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) {
            result.error = fmt::format("not JSON: '{}'", preview(line));
            return result;
        }
        if (!j.is_object()) {
            result.error = "expected a JSON object";
            return result;
        }
        const auto type = j.find("type");
        if (type == j.end() || !type->is_string() || type->get_ref<const std::string&>().empty()) {
            result.error = "message has no \"type\"";
            return result;
        }
        AgentMessage m;
        m.type = type->get<std::string>();
        if (const auto id = j.find("id"); id != j.end()) {
            if (!id->is_number_integer() || id->get<std::int64_t>() < 0) {
                result.error = "\"id\" must be a non-negative integer";
                return result;
            }
            m.id = id->get<std::int64_t>();
        }
        m.body = std::move(j);
        result.message = std::move(m);
    } catch (const std::exception& e) { // bad_alloc, or a nlohmann corner we did not foresee
        result.message.reset();
        result.error = fmt::format("unreadable message: {}", e.what());
    }
    return result;
}

std::string escape_control(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f)
            out += fmt::format("\\x{:02x}", b);
        else
            out += c;
    }
    return out;
}

std::string encode_agent_message(const json& message) {
    // Replace, not throw, on invalid UTF-8 (an error message may quote what a peer sent).
    std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace);
    line += '\n';
    return line;
}

json agent_error_message(std::string_view code, std::string_view text, std::int64_t id) {
    json j{{"type", "error"}, {"code", code}, {"message", text}};
    if (id >= 0)
        j["id"] = id;
    return j;
}

const json& agent_field(const json& j, const char* key) {
    return as_protocol_error([&]() -> const json& { return json_field(j, key, wire_name(key)); });
}

std::string agent_string(const json& j, const char* key) {
    const std::string name = wire_name(key);
    return as_protocol_error([&] { return std::string(json_string(json_field(j, key, name), name)); });
}

std::int64_t agent_int(const json& j, const char* key, std::int64_t min, std::int64_t max) {
    const std::string name = wire_name(key);
    return as_protocol_error(
        [&] { return json_integer<std::int64_t>(json_field(j, key, name), name, min, max); });
}

double agent_number(const json& j, const char* key, double min, double max) {
    const std::string name = wire_name(key);
    return as_protocol_error([&] { return json_number(json_field(j, key, name), name, min, max); });
}

json host_facts_to_json(const HostFacts& f) {
    return {{"hostname", f.hostname}, {"cpu_model", f.cpu_model},         {"cores", f.cores},
            {"kernel", f.kernel},     {"agent_version", f.agent_version}, {"protocol", f.protocol}};
}

HostFacts host_facts_from_json(const json& j) {
    HostFacts f;
    f.hostname = agent_string(j, "hostname");
    f.cpu_model = agent_string(j, "cpu_model");
    f.cores = static_cast<int>(agent_int(j, "cores", 0, 1 << 20));
    f.kernel = agent_string(j, "kernel");
    f.agent_version = agent_string(j, "agent_version");
    f.protocol = static_cast<int>(agent_int(j, "protocol", 0, INT32_MAX));
    return f;
}

json endpoint_spec_to_json(const AgentEndpointSpec& s) {
    return {{"transport", to_string(s.transport)},
            {"engine", to_string(s.engine)},
            {"bind_host", s.bind_host},
            {"port", s.port},
            {"tasks", s.tasks},
            {"task_work_ns", s.task_work},
            {"task_period_ns", s.task_period},
            {"delay_ns", s.delay},
            {"jitter_ns", s.jitter},
            {"loss_percent", s.loss_percent},
            {"measure_residence", s.measure_residence}};
}

AgentEndpointSpec endpoint_spec_from_json(const json& j, int max_tasks) {
    AgentEndpointSpec s;
    const std::string transport = agent_string(j, "transport");
    try {
        s.transport = parse_transport(transport);
    } catch (const std::exception& e) {
        throw AgentProtocolError(fmt::format("field 'transport': {}", e.what()));
    }
    if (s.transport == Transport::Unix)
        throw AgentProtocolError("field 'transport': an agent serves tcp or udp (unix does not cross hosts)");
    try {
        s.engine = parse_engine(agent_string(j, "engine"));
    } catch (const AgentProtocolError&) {
        throw;
    } catch (const std::exception& e) {
        throw AgentProtocolError(fmt::format("field 'engine': {}", e.what()));
    }
    s.bind_host = agent_string(j, "bind_host");
    if (s.bind_host.empty() || s.bind_host.size() > 255)
        throw AgentProtocolError("field 'bind_host' must be an address (1 to 255 characters)");
    s.port = static_cast<std::uint16_t>(agent_int(j, "port", 0, 65535));
    s.tasks = static_cast<int>(agent_int(j, "tasks", 0, max_tasks));
    s.task_work = agent_int(j, "task_work_ns", 0, kNanosPerSecond);
    s.task_period = agent_int(j, "task_period_ns", 10 * kNanosPerMicro, 10 * kNanosPerSecond);
    s.delay = agent_int(j, "delay_ns", 0, kMaxImpairmentDelay);
    s.jitter = agent_int(j, "jitter_ns", 0, kMaxImpairmentDelay);
    s.loss_percent = agent_number(j, "loss_percent", 0, 100);
    if (const auto m = j.find("measure_residence"); m != j.end()) { // optional: clients of before it
        if (!m->is_boolean())
            throw AgentProtocolError("field 'measure_residence' must be true or false");
        s.measure_residence = m->get<bool>();
    }
    return s;
}

json residence_to_json(const AgentResidence& r) {
    json j{{"endpoint", r.endpoint}};
    if (!r.unavailable.empty()) {
        j["unavailable"] = r.unavailable;
        return j;
    }
    j["histogram"] = base64_encode(hdr_encode_compressed(r.data.residence));
    j["start_ns"] = r.start;
    j["end_ns"] = r.end;
    j["unstamped"] = r.data.unstamped;
    j["discarded"] = r.data.discarded;
    return j;
}

AgentResidence residence_from_json(const json& j) {
    AgentResidence r;
    r.endpoint = static_cast<int>(agent_int(j, "endpoint", 0, INT32_MAX));
    if (j.contains("unavailable")) {
        r.unavailable = agent_string(j, "unavailable");
        if (r.unavailable.empty())
            throw AgentProtocolError("field 'unavailable' is empty");
        return r;
    }
    r.start = agent_int(j, "start_ns", 0, INT64_MAX);
    r.end = agent_int(j, "end_ns", r.start, INT64_MAX);
    r.data.unstamped = static_cast<std::uint64_t>(agent_int(j, "unstamped", 0, INT64_MAX));
    r.data.discarded = static_cast<std::uint64_t>(agent_int(j, "discarded", 0, INT64_MAX));
    try {
        r.data.residence = hdr_decode_compressed(base64_decode(agent_string(j, "histogram")));
    } catch (const AgentProtocolError&) {
        throw;
    } catch (const std::invalid_argument& e) {
        throw AgentProtocolError(fmt::format("field 'histogram': {}", e.what()));
    }
    return r;
}

json endpoint_info_to_json(const AgentEndpointInfo& info) {
    return {{"id", info.id},
            {"spec", endpoint_spec_to_json(info.spec)},
            {"url", info.endpoint.url()},
            {"stats",
             {{"accepted", info.stats.accepted},
              {"refused", info.stats.refused},
              {"active", info.stats.active},
              {"bytes", info.stats.bytes},
              {"dropped", info.stats.dropped}}}};
}

AgentEndpointInfo endpoint_info_from_json(const json& j) {
    AgentEndpointInfo info;
    info.id = static_cast<int>(agent_int(j, "id", 0, INT32_MAX));
    info.spec = endpoint_spec_from_json(agent_field(j, "spec"));
    try {
        info.endpoint = parse_endpoint(agent_string(j, "url"));
    } catch (const AgentProtocolError&) {
        throw;
    } catch (const std::exception& e) {
        throw AgentProtocolError(fmt::format("field 'url': {}", e.what()));
    }
    const json& st = agent_field(j, "stats");
    info.stats.accepted = static_cast<std::uint64_t>(agent_int(st, "accepted", 0, INT64_MAX));
    info.stats.refused = static_cast<std::uint64_t>(agent_int(st, "refused", 0, INT64_MAX));
    info.stats.active = agent_int(st, "active", INT64_MIN, INT64_MAX);
    info.stats.bytes = static_cast<std::uint64_t>(agent_int(st, "bytes", 0, INT64_MAX));
    info.stats.dropped = static_cast<std::uint64_t>(agent_int(st, "dropped", 0, INT64_MAX));
    return info;
}

} // namespace le
