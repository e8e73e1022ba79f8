#include "agent_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <set>
#include <stdexcept>

namespace le {
namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[data[i] >> 4];
        out[2 * i + 1] = kDigits[data[i] & 0xf];
    }
    return out;
}

} // namespace

std::string random_nonce() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the random number generator failed (OpenSSL RAND_bytes)");
    return to_hex(bytes.data(), bytes.size());
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len))
        throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
    return to_hex(mac.data(), len);
}

std::string agent_proof(std::string_view token, std::string_view client_nonce, std::string_view agent_nonce) {
    return hmac_sha256_hex(token, "agent|" + std::string(client_nonce) + "|" + std::string(agent_nonce));
}

std::string client_proof(std::string_view token, std::string_view agent_nonce,
                         std::string_view client_nonce) {
    return hmac_sha256_hex(token, "client|" + std::string(agent_nonce) + "|" + std::string(client_nonce));
}

bool proofs_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

double token_entropy_bits(std::string_view token) {
    bool lower = false, upper = false, digit = false, other = false, hex = true;
    for (const char c : token) {
        const bool is_lower = c >= 'a' && c <= 'z', is_upper = c >= 'A' && c <= 'Z',
                   is_digit = c >= '0' && c <= '9';
        lower |= is_lower;
        upper |= is_upper;
        digit |= is_digit;
        other |= !is_lower && !is_upper && !is_digit;
        hex &= is_digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    const double alphabet =
        hex ? 16.0 : (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
    return token.empty() ? 0.0 : static_cast<double>(token.size()) * std::log2(alphabet);
}

void check_token_strength(std::string_view token) {
    const std::set<char> distinct(token.begin(), token.end());
    const double bits = token_entropy_bits(token);
    if (bits >= kMinTokenBits && distinct.size() >= 8)
        return;
    throw std::invalid_argument(fmt::format(
        "the token is too weak ({} characters, about {:.0f} bits{}; at least {:.0f} bits are needed so "
        "that it cannot be guessed): make one with `head -c 32 /dev/urandom | base64`",
        token.size(), bits, distinct.size() < 8 ? ", too few distinct characters" : "", kMinTokenBits));
}

bool is_nonce(std::string_view s) {
    if (s.size() != 64)
        return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

} // namespace le
