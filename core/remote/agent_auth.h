#pragma once

#include <string>
#include <string_view>

namespace le {

// Mutual challenge-response over the agent's control channel, so the token never crosses the
// wire: each side sends a fresh random nonce; the agent proves it knows the token with
// HMAC-SHA256(token, "agent|" + client_nonce + "|" + agent_nonce), the client answers with
// HMAC-SHA256(token, "client|" + agent_nonce + "|" + client_nonce). The labels differ, so neither
// side can be used as an oracle for the other's proof; fresh nonces stop replays.

// 32 random bytes (OpenSSL RAND_bytes) as 64 hex digits. Throws std::runtime_error if the random
// generator fails.
std::string random_nonce();
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string agent_proof(std::string_view token, std::string_view client_nonce, std::string_view agent_nonce);
std::string client_proof(std::string_view token, std::string_view agent_nonce, std::string_view client_nonce);
// Constant-time comparison (CRYPTO_memcmp); false for different lengths.
bool proofs_equal(std::string_view a, std::string_view b);
// A nonce as random_nonce() makes them: 64 lowercase hex digits.
bool is_nonce(std::string_view s);

} // namespace le
