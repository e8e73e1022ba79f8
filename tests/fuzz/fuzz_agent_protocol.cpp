// The agent's control protocol as an agent or a client reads it off the network. parse_agent_message
// must refuse or accept any bytes without throwing (it is noexcept: a throw would end the agent); what
// it accepts goes through every decoder, which may refuse only with std::exception (anything else
// escapes and is reported as a crash), and what a decoder accepts must encode and decode back equal.
#include "agent_protocol.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace {

using nlohmann::json;

[[noreturn]] void fail(const char* what, const json& a, const json& b) {
    std::fprintf(stderr, "%s\nfirst:  %s\nsecond: %s\n", what,
                 a.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 2000).c_str(),
                 b.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 2000).c_str());
    std::abort();
}

// Each decoder on `j`: refused, or accepted and equal after a second encode/decode.
void decode(const json& j) {
    try {
        const json once = le::endpoint_spec_to_json(le::endpoint_spec_from_json(j));
        const json twice = le::endpoint_spec_to_json(le::endpoint_spec_from_json(once));
        if (once != twice)
            fail("an endpoint spec did not decode back equal", once, twice);
    } catch (const std::exception&) {
    }
    try {
        const json once = le::host_facts_to_json(le::host_facts_from_json(j));
        const json twice = le::host_facts_to_json(le::host_facts_from_json(once));
        if (once != twice)
            fail("host facts did not decode back equal", once, twice);
    } catch (const std::exception&) {
    }
    try {
        const json once = le::endpoint_info_to_json(le::endpoint_info_from_json(j));
        const json twice = le::endpoint_info_to_json(le::endpoint_info_from_json(once));
        if (once != twice)
            fail("endpoint info did not decode back equal", once, twice);
    } catch (const std::exception&) {
    }
    try {
        const json once = le::residence_to_json(le::residence_from_json(j));
        const json twice = le::residence_to_json(le::residence_from_json(once));
        if (once != twice)
            fail("a residence answer did not decode back equal", once, twice);
    } catch (const std::exception&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const le::AgentParseResult r = le::parse_agent_message(line);
    if (!r.message) {
        if (r.error.empty())
            std::abort(); // a refusal always says why
        return 0;
    }
    const le::AgentMessage& m = *r.message;
    if (m.type.empty() || m.id < -1 || !m.body.is_object())
        std::abort();

    // What the agent or client would send back of it (an error quoting it, a reply) parses again.
    std::string again = le::encode_agent_message(m.body);
    if (again.empty() || again.back() != '\n')
        std::abort();
    again.pop_back();
    if (again.size() <= le::kAgentMaxLine) {
        const le::AgentParseResult back = le::parse_agent_message(again);
        if (!back.message)
            fail(("an encoded message did not parse again: " + back.error).c_str(), m.body, json());
        if (back.message->body != m.body || back.message->type != m.type || back.message->id != m.id)
            fail("a message did not parse back equal", m.body, back.message->body);
    }

    // Wherever the client and agent look for a nested object (create's spec, welcome's host,
    // created's endpoint, endpoints' list), and the body itself.
    decode(m.body);
    for (const char* key : {"spec", "host", "endpoint"})
        if (const auto it = m.body.find(key); it != m.body.end())
            decode(*it);
    if (const auto it = m.body.find("endpoints"); it != m.body.end() && it->is_array())
        for (const json& e : *it)
            decode(e);
    try {
        (void)le::agent_int(m.body, "protocol", 0, INT32_MAX);
        (void)le::agent_int(m.body, "endpoint", 0, INT32_MAX);
    } catch (const std::exception&) {
    }
    return 0;
}
