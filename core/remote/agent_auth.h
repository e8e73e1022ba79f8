#pragma once

#include <string>
#include <string_view>

namespace le {

// Mutual challenge-response over the agent's control channel, so the token never crosses the
// wire: each side sends a fresh random nonce; the client (the side that connects) proves first with
// HMAC-SHA256(token, "client|" + agent_nonce + "|" + client_nonce), and only once that is right does
// the agent answer with HMAC-SHA256(token, "agent|" + client_nonce + "|" + agent_nonce). Both proofs
// cover both nonces and the labels differ, so neither side can be used as an oracle for the other's
// proof, fresh nonces stop replays, and someone who merely connects learns nothing to guess the
// token from offline. Tokens must be strong (check_token_strength) for the same reason.

// 32 random bytes (OpenSSL RAND_bytes) as 64 hex digits. Throws std::runtime_error if the random
// generator fails.
std::string random_nonce();
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string agent_proof(std::string_view token, std::string_view client_nonce, std::string_view agent_nonce);
std::string client_proof(std::string_view token, std::string_view agent_nonce, std::string_view client_nonce);
// Constant-time comparison (CRYPTO_memcmp); false for different lengths.
bool proofs_equal(std::string_view a, std::string_view b);
// At least 128 bits, estimated from the token's length and the character classes it uses (hex
// digits: 4 bits each; otherwise log2 of the size of the classes present), and not one repeated
// character pattern (at least 8 distinct characters). Throws std::invalid_argument saying how strong
// it is and how to make a good one (`head -c 32 /dev/urandom | base64`).
void check_token_strength(std::string_view token);
// The estimate check_token_strength uses, in bits.
double token_entropy_bits(std::string_view token);
inline constexpr double kMinTokenBits = 128;

// A nonce as random_nonce() makes them: 64 lowercase hex digits.
bool is_nonce(std::string_view s);

} // namespace le
