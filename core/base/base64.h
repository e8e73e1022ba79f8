#pragma once

#include <string>
#include <string_view>

namespace le {

// Standard base64 (RFC 4648, '+' '/', '=' padding, no line breaks), through OpenSSL's EVP routines.

std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes. Input is untrusted: anything but whole 4-character groups of the base64
// alphabet, with '=' padding only at the end, throws std::invalid_argument saying what is wrong.
std::string base64_decode(std::string_view text);

} // namespace le
