// The agent's request handler (agent_request_handler.h) as a client drives it, without sockets: the
// first byte picks an agent with or without a token, the rest is split into lines and handed over
// one by one, the handshake deadline passing at a byte's choice. Whatever arrives, the handler must
// not throw or crash, answer only JSON objects with a type, never authenticate a client that did not
// prove the token, say nothing more once it has refused, and log single lines (control characters
// escaped). The endpoint table allows no endpoint, so a create is refused without opening sockets.
#include "agent_endpoint_table.h"
#include "agent_protocol.h"
#include "agent_request_handler.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const bool with_token = (data[0] & 1) != 0;
    const bool times_out = (data[0] & 2) != 0;

    le::AgentServerConfig config;
    config.token = with_token ? "a token of good length, for the fuzzer 0123456789" : "";
    config.version = "fuzz";
    config.max_endpoints = 0;
    config.max_tasks = 2;
    config.log = [](const std::string& line) {
        for (const char c : line)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                std::abort(); // a control character reached the log
    };
    const le::HostFacts facts{"fuzz-host", "Fuzz CPU", 1, "Linux", "fuzz", le::kAgentProtocol};
    le::AgentEndpointTable endpoints(config.max_endpoints, config.max_tasks, config.log);
    le::AgentRequestHandler handler(config, facts, endpoints, "fuzz-peer");

    const auto check = [&](const le::AgentRequestHandler::Reply& reply, bool was_closing) {
        if (was_closing && (!reply.messages.empty() || reply.close))
            std::abort(); // spoke after its refusal
        for (const auto& m : reply.messages)
            if (!m.is_object() || !m.contains("type") || !m["type"].is_string())
                std::abort();
        if (reply.close != handler.closing() && !was_closing)
            std::abort(); // a refusal says to close, and only a refusal
        // Nobody can prove a token they were not given: the fuzzer does not compute HMACs.
        if (with_token && handler.authenticated())
            std::abort();
    };
    while (!input.empty()) {
        const auto nl = input.find('\n');
        const std::string_view line = input.substr(0, nl);
        const bool was_closing = handler.closing();
        check(handler.handle(line), was_closing);
        if (nl == std::string_view::npos)
            break;
        input.remove_prefix(nl + 1);
    }
    if (times_out) {
        const bool was_closing = handler.closing(), was_ready = handler.authenticated();
        const auto reply = handler.timed_out();
        if ((was_ready || was_closing) && !reply.messages.empty())
            std::abort();
        check(reply, was_closing);
    }
    if (!with_token && endpoints.size() != 0)
        std::abort();
    return 0;
}
