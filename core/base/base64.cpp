#include "base64.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <cstddef>
#include <stdexcept>

namespace le {

namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        throw std::invalid_argument(
            fmt::format("base64 text of {} characters (not a multiple of 4)", text.size()));
    // EVP_DecodeBlock skips blanks and accepts '=' anywhere, so the alphabet and padding are checked
    // here; it also counts padding as zero bytes, which are dropped below.
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '=') {
            if (i + 2 < text.size() || (i + 1 == text.size() - 1 && text.back() != '='))
                throw std::invalid_argument(fmt::format("'=' before the end of base64 text (at {})", i));
            ++padding;
        } else if (padding > 0 || !is_base64_char(c)) {
            throw std::invalid_argument(fmt::format("character {} of base64 text is not base64", i + 1));
        }
    }
    if (text.size() > static_cast<std::size_t>(INT32_MAX))
        throw std::invalid_argument("base64 text longer than 2 GiB");
    std::string out(text.size() / 4 * 3, '\0');
    const int n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0)
        throw std::invalid_argument("base64 text does not decode");
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

} // namespace le
