#include "agent_endpoint_table.h"

#include "agent_protocol.h"
#include "pong_server.h"
#include "split_stats.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace le {

using nlohmann::json;

AgentEndpointTable::AgentEndpointTable(int max_endpoints, int max_tasks,
                                       std::function<void(const std::string&)> log)
    : m_max_endpoints(max_endpoints)
    , m_max_tasks(max_tasks)
    , m_log(std::move(log)) {}

AgentEndpointTable::~AgentEndpointTable() {
    stop_all();
}

void AgentEndpointTable::log(const std::string& line) const {
    if (m_log)
        m_log(escape_control(line));
}

AgentEndpointInfo AgentEndpointTable::info_of(int id, const Entry& e) {
    AgentEndpointInfo info;
    info.id = id;
    info.spec = e.spec;
    info.endpoint = e.server->endpoints().front();
    const PongStats& s = e.server->stats();
    info.stats = {s.accepted.load(), s.refused.load(), s.active.load(), s.bytes.load(), s.dropped.load()};
    return info;
}

json AgentEndpointTable::create(const json& spec_json) {
    const AgentEndpointSpec spec = endpoint_spec_from_json(spec_json, m_max_tasks);
    {
        std::lock_guard lock(m_mutex);
        if (static_cast<int>(m_endpoints.size()) >= m_max_endpoints)
            throw AgentRefusal(
                agent_code::kLimit,
                fmt::format("endpoint limit ({}) reached; destroy one first", m_max_endpoints));
    }
    PongConfig pong;
    Endpoint listen;
    listen.transport = spec.transport;
    listen.host = spec.bind_host;
    listen.port = spec.port;
    pong.listen = {listen};
    pong.engine = spec.engine;
    pong.tasks = spec.tasks;
    pong.task_work = spec.task_work;
    pong.task_period = spec.task_period;
    pong.delay = spec.delay;
    pong.jitter = spec.jitter;
    pong.loss_percent = spec.loss_percent;
    pong.measure_residence = spec.measure_residence;
    std::unique_ptr<PongServer> server;
    try {
        server = start_pong(pong);
    } catch (const std::exception& e) {
        throw AgentRefusal(agent_code::kFailed, e.what());
    }
    std::lock_guard lock(m_mutex);
    const int id = m_next_id++;
    Entry& e = m_endpoints[id];
    e.spec = spec;
    e.server = std::move(server);
    e.residence_since = now_ns();
    log(fmt::format("endpoint {} created: {} ({} engine, {} tasks)", id, e.server->endpoints().front().url(),
                    to_string(spec.engine), spec.tasks));
    return endpoint_info_to_json(info_of(id, e));
}

void AgentEndpointTable::destroy(int id) {
    std::unique_ptr<PongServer> server;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_endpoints.find(id);
        if (it == m_endpoints.end())
            throw AgentRefusal(agent_code::kNotFound, fmt::format("no endpoint {} on this agent", id));
        server = std::move(it->second.server);
        m_endpoints.erase(it);
    }
    server->stop();
    log(fmt::format("endpoint {} destroyed", id));
}

AgentResidence AgentEndpointTable::residence(int id) {
    std::lock_guard lock(m_mutex); // the swap waits for no serving thread longer than one record
    const auto it = m_endpoints.find(id);
    if (it == m_endpoints.end())
        throw AgentRefusal(agent_code::kNotFound, fmt::format("no endpoint {} on this agent", id));
    Entry& e = it->second;
    AgentResidence r;
    r.endpoint = id;
    if (!e.spec.measure_residence)
        r.unavailable = "the endpoint was created without measure_residence";
    else if (!e.server->residence_unavailable().empty())
        r.unavailable = e.server->residence_unavailable();
    if (!r.unavailable.empty())
        return r;
    r.start = e.residence_since;
    r.end = now_ns();
    r.data = e.server->take_residence();
    e.residence_since = r.end;
    return r;
}

json AgentEndpointTable::list() const {
    json out = json::array();
    std::lock_guard lock(m_mutex);
    for (const auto& [id, e] : m_endpoints)
        out.push_back(endpoint_info_to_json(info_of(id, e)));
    return out;
}

std::size_t AgentEndpointTable::size() const {
    std::lock_guard lock(m_mutex);
    return m_endpoints.size();
}

void AgentEndpointTable::stop_all() {
    std::map<int, Entry> endpoints;
    {
        std::lock_guard lock(m_mutex);
        endpoints.swap(m_endpoints);
    }
    for (auto& [id, e] : endpoints)
        e.server->stop();
}

} // namespace le
