#pragma once

#include "agent_endpoint.h"
#include "host_facts.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace le {

// The agent's control protocol: one JSON object per line ('\n'), each with a "type". Requests
// after the handshake carry an "id" the answer repeats.
//
//   client: {"type":"hello","protocol":2,"client":"...","nonce":HEX}
//   agent:  {"type":"hello","protocol":2,"agent":"...","auth":"none"|"hmac-sha256",
//            "challenge":HEX}                       (challenge only with hmac-sha256)
//   client: {"type":"auth","response":HEX}          (only with hmac-sha256: the client proves first)
//   agent:  {"type":"welcome","host":{...},"proof":HEX}  (proof only with hmac-sha256)
//           or  {"type":"error","code":...,"message":...} + close
// A client that holds a token refuses an agent that does not prove it (auth "none" included).
//   then:   ping -> pong, host -> host, create{spec} -> created{endpoint}, destroy{endpoint} ->
//           destroyed, list -> endpoints{endpoints:[...]}, residence{endpoint} -> residence{endpoint,
//           histogram (hdr_codec.h, base64), start_ns, end_ns, unstamped, discarded} or
//           residence{endpoint, unavailable}; a failed request -> error{id,code,message}
// residence came later without a protocol bump: an agent of before it answers error bad-message.
inline constexpr int kAgentProtocol = 2;                // 2: the client proves first (agent_auth.h)
inline constexpr std::size_t kAgentMaxLine = 64 * 1024; // bytes per message, newline excluded
inline constexpr int kAgentMaxDepth = 8;                // JSON nesting a message may have
inline constexpr std::uint16_t kAgentDefaultPort = 7800;

// Error codes on the wire (the message says the rest in words).
namespace agent_code {
inline constexpr const char* kBadMessage = "bad-message";
inline constexpr const char* kVersion = "version";
inline constexpr const char* kAuth = "auth";
inline constexpr const char* kAuthRequired = "auth-required";
inline constexpr const char* kTimeout = "timeout";
inline constexpr const char* kBusy = "busy";
inline constexpr const char* kLimit = "limit";
inline constexpr const char* kInvalid = "invalid";
inline constexpr const char* kNotFound = "not-found";
inline constexpr const char* kFailed = "failed";
} // namespace agent_code

// A received message, checked for shape only: a JSON object with a string "type" and, when
// present, a non-negative integer "id".
struct AgentMessage {
    std::string type;
    std::int64_t id = -1; // -1: none
    nlohmann::json body;  // the whole object
};

struct AgentParseResult {
    std::optional<AgentMessage> message;
    std::string error; // why there is none, for the user and the peer
};

// Parses one line (without its '\n'). Never throws and never crashes, whatever the bytes: too
// long, not UTF-8, not JSON, too deeply nested, not an object, no type.
AgentParseResult parse_agent_message(std::string_view line) noexcept;

// Thrown by the decoders below when a well-formed message carries bad or missing fields.
class AgentProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// `text` with control characters (bytes below 0x20 and 0x7f) written as \xNN, so that what a peer
// sent cannot start a fake line or send escape codes when logged. Idempotent.
std::string escape_control(std::string_view text);

// One line to send, '\n' included.
std::string encode_agent_message(const nlohmann::json& message);
nlohmann::json agent_error_message(std::string_view code, std::string_view text, std::int64_t id = -1);

nlohmann::json host_facts_to_json(const HostFacts& facts);
HostFacts host_facts_from_json(const nlohmann::json& j);
nlohmann::json endpoint_spec_to_json(const AgentEndpointSpec& spec);
// Checks types and ranges (transport tcp or udp, known engine, tasks 0 .. max_tasks, impairments
// as latency-pong takes them); throws AgentProtocolError naming the field.
AgentEndpointSpec endpoint_spec_from_json(const nlohmann::json& j, int max_tasks = 100'000);
// A residence answer's fields (type and id are the caller's); from_json throws AgentProtocolError.
nlohmann::json residence_to_json(const AgentResidence& r);
AgentResidence residence_from_json(const nlohmann::json& j);
nlohmann::json endpoint_info_to_json(const AgentEndpointInfo& info);
AgentEndpointInfo endpoint_info_from_json(const nlohmann::json& j);

// The protocol's field readers: j[key] read with json_fields.h's readers, the field named
// "field 'KEY'", throwing AgentProtocolError ("field 'port' must be an integer from 0 to 65535",
// "field 'spec' is missing", "field 'auth' is not a string").
const nlohmann::json& agent_field(const nlohmann::json& j, const char* key);
std::string agent_string(const nlohmann::json& j, const char* key);
std::int64_t agent_int(const nlohmann::json& j, const char* key, std::int64_t min, std::int64_t max);
double agent_number(const nlohmann::json& j, const char* key, double min, double max);

} // namespace le
