#pragma once

#include "agent_endpoint.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace le {

class PongServer;

// A request the agent turns down, with the code the error message carries on the wire
// (agent_code::kLimit, kNotFound, kFailed).
class AgentRefusal : public std::runtime_error {
public:
    AgentRefusal(const char* code, const std::string& what)
        : std::runtime_error(what)
        , m_code(code) {}
    const char* code() const { return m_code; }

private:
    const char* m_code;
};

// The agent's endpoint table: the pong endpoints clients created, by id (1, 2, ... in creation
// order, never reused). They outlive the connection that created them and end when destroyed, at
// stop_all() or with the table. Thread-safe.
class AgentEndpointTable {
public:
    // At most `max_endpoints` at a time, each with at most `max_tasks` tasks; `log` (may be empty)
    // hears of every endpoint created and destroyed.
    AgentEndpointTable(int max_endpoints, int max_tasks, std::function<void(const std::string&)> log);
    ~AgentEndpointTable();
    AgentEndpointTable(const AgentEndpointTable&) = delete;
    AgentEndpointTable& operator=(const AgentEndpointTable&) = delete;

    // Starts a pong as `spec` (a create request's untrusted "spec") says and returns its info as
    // endpoint_info_to_json() writes it. Throws AgentProtocolError for a bad spec, AgentRefusal
    // kLimit when the table is full and kFailed when the pong cannot start (port taken, ...).
    nlohmann::json create(const nlohmann::json& spec);
    // Stops and forgets endpoint `id`; AgentRefusal kNotFound when there is none.
    void destroy(int id);
    // Endpoint `id`'s residence since the last call for it (or its creation), taken now; with
    // `unavailable` set when it does not measure (not asked in its spec, or an engine that cannot).
    // AgentRefusal kNotFound when there is none. One reader per endpoint at a time (the table's lock).
    AgentResidence residence(int id);
    // Every endpoint's info, by id.
    nlohmann::json list() const;
    std::size_t size() const;
    // Stops every endpoint (each in turn, outside the table's lock). Idempotent.
    void stop_all();

private:
    struct Entry {
        AgentEndpointSpec spec;
        std::unique_ptr<PongServer> server;
        Nanos residence_since = 0; // the agent's clock: the start of the next residence answer
    };
    static AgentEndpointInfo info_of(int id, const Entry& e);
    void log(const std::string& line) const;

    const int m_max_endpoints;
    const int m_max_tasks;
    const std::function<void(const std::string&)> m_log;
    mutable std::mutex m_mutex; // guards what follows
    std::map<int, Entry> m_endpoints;
    int m_next_id = 1;
};

} // namespace le
