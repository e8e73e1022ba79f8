#include "agent_request_handler.h"

#include "agent_auth.h"
#include "agent_endpoint_table.h"
#include "agent_protocol.h"

#include <fmt/format.h>

namespace le {

using nlohmann::json;

namespace {

AgentRequestHandler::Reply answer(json message) {
    AgentRequestHandler::Reply reply;
    reply.messages.push_back(std::move(message));
    return reply;
}

} // namespace

AgentRequestHandler::AgentRequestHandler(const AgentServerConfig& config, const HostFacts& facts,
                                         AgentEndpointTable& endpoints, std::string peer)
    : m_config(config)
    , m_facts(facts)
    , m_endpoints(endpoints)
    , m_peer(std::move(peer)) {}

void AgentRequestHandler::log(const std::string& line) const {
    if (m_config.log)
        m_config.log(escape_control(line)); // what a client sent cannot forge log lines
}

json AgentRequestHandler::welcome() const {
    return {{"type", "welcome"}, {"host", host_facts_to_json(m_facts)}};
}

AgentRequestHandler::Reply AgentRequestHandler::handle(std::string_view line) {
    if (m_state == State::Closing)
        return {};
    AgentParseResult parsed = parse_agent_message(line);
    if (!parsed.message) {
        if (m_state == State::Ready)
            return answer(agent_error_message(agent_code::kBadMessage, parsed.error));
        return refuse(agent_code::kBadMessage, parsed.error + "; closing");
    }
    switch (m_state) {
    case State::Hello:
        return hello(*parsed.message);
    case State::Auth:
        return auth(*parsed.message);
    case State::Ready:
        return request(*parsed.message);
    case State::Closing:
        break;
    }
    return {};
}

AgentRequestHandler::Reply AgentRequestHandler::refuse(std::string_view code, const std::string& text) {
    if (m_state == State::Closing)
        return {};
    log(fmt::format("{}: refused: {}", m_peer, text));
    m_state = State::Closing;
    Reply reply = answer(agent_error_message(code, text));
    reply.close = true;
    return reply;
}

AgentRequestHandler::Reply AgentRequestHandler::timed_out() {
    if (m_state == State::Ready || m_state == State::Closing)
        return {};
    return refuse(agent_code::kTimeout, fmt::format("no {} within {} s; closing",
                                                    m_state == State::Hello ? "hello" : "authentication",
                                                    m_config.auth_timeout / kNanosPerSecond));
}

AgentRequestHandler::Reply AgentRequestHandler::hello(const AgentMessage& m) {
    if (m.type != "hello")
        return refuse(
            agent_code::kAuthRequired,
            fmt::format("'{}' refused: not authenticated (send hello first)", m.type.substr(0, 40)));
    int protocol = 0;
    try {
        protocol = static_cast<int>(agent_int(m.body, "protocol", 0, INT32_MAX));
    } catch (const AgentProtocolError& e) {
        return refuse(agent_code::kBadMessage, fmt::format("bad hello: {}", e.what()));
    }
    if (protocol != kAgentProtocol)
        return refuse(agent_code::kVersion,
                      fmt::format("the agent speaks protocol {}, the client {}; use matching versions",
                                  kAgentProtocol, protocol));
    json reply{{"type", "hello"}, {"protocol", kAgentProtocol}, {"agent", m_config.version}};
    const std::string& token = m_config.token;
    if (token.empty()) {
        reply["auth"] = "none";
        m_state = State::Ready;
        Reply both = answer(std::move(reply));
        both.messages.push_back(welcome());
        return both;
    }
    const auto nonce = m.body.find("nonce");
    if (nonce == m.body.end() || !nonce->is_string() || !is_nonce(nonce->get_ref<const std::string&>()))
        return refuse(agent_code::kBadMessage,
                      "bad hello: this agent needs a token; the hello must carry a 64-hex-digit nonce");
    m_client_nonce = nonce->get<std::string>();
    try {
        m_agent_nonce = random_nonce();
    } catch (const std::exception& e) {
        return refuse(agent_code::kFailed, e.what());
    }
    reply["auth"] = "hmac-sha256";
    reply["challenge"] = m_agent_nonce;
    m_state = State::Auth;
    return answer(std::move(reply));
}

// The client proves first; only then does the agent prove itself (in the welcome), so a client
// that does not know the token gets nothing to guess it from.
AgentRequestHandler::Reply AgentRequestHandler::auth(const AgentMessage& m) {
    if (m.type != "auth")
        return refuse(agent_code::kAuthRequired,
                      fmt::format("'{}' refused: not authenticated", m.type.substr(0, 40)));
    const auto response = m.body.find("response");
    const std::string expected = client_proof(m_config.token, m_agent_nonce, m_client_nonce);
    if (response == m.body.end() || !response->is_string() ||
        !proofs_equal(response->get_ref<const std::string&>(), expected))
        return refuse(agent_code::kAuth, "wrong token");
    m_state = State::Ready;
    log(fmt::format("{}: authenticated", m_peer));
    json w = welcome();
    w["proof"] = agent_proof(m_config.token, m_client_nonce, m_agent_nonce);
    return answer(std::move(w));
}

AgentRequestHandler::Reply AgentRequestHandler::request(const AgentMessage& m) {
    const std::int64_t id = m.id;
    try {
        if (m.type == "ping")
            return answer({{"type", "pong"}, {"id", id}});
        if (m.type == "host")
            return answer({{"type", "host"}, {"id", id}, {"host", host_facts_to_json(m_facts)}});
        if (m.type == "list")
            return answer({{"type", "endpoints"}, {"id", id}, {"endpoints", m_endpoints.list()}});
        if (m.type == "create")
            return answer({{"type", "created"},
                           {"id", id},
                           {"endpoint", m_endpoints.create(agent_field(m.body, "spec"))}});
        if (m.type == "destroy") {
            m_endpoints.destroy(static_cast<int>(agent_int(m.body, "endpoint", 0, INT32_MAX)));
            return answer({{"type", "destroyed"}, {"id", id}});
        }
        if (m.type == "residence") {
            json r = residence_to_json(
                m_endpoints.residence(static_cast<int>(agent_int(m.body, "endpoint", 0, INT32_MAX))));
            r["type"] = "residence";
            r["id"] = id;
            return answer(std::move(r));
        }
        return answer(agent_error_message(
            agent_code::kBadMessage,
            fmt::format("unknown request '{}' (expected ping, host, list, create, destroy or residence)",
                        m.type.substr(0, 40)),
            id));
    } catch (const AgentRefusal& e) {
        return answer(agent_error_message(e.code(), e.what(), id));
    } catch (const AgentProtocolError& e) {
        return answer(agent_error_message(agent_code::kInvalid, fmt::format("{}: {}", m.type, e.what()), id));
    } catch (const std::exception& e) {
        return answer(agent_error_message(agent_code::kFailed, fmt::format("{}: {}", m.type, e.what()), id));
    }
}

} // namespace le
