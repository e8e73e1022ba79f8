#include "residence_line.h"

#include "base64.h"
#include "hdr_codec.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>
#include <type_traits>

namespace le {
namespace {

constexpr std::string_view kUnavailable = "unavailable: ";

// The next space-separated field of `rest` (which loses it), or throws naming `what`.
std::string_view next_field(std::string_view& rest, const char* what) {
    const std::size_t space = rest.find(' ');
    const std::string_view field = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (field.empty())
        throw std::invalid_argument(fmt::format("residence line: {} is missing", what));
    return field;
}

template <class T> T number(std::string_view& rest, const char* what) {
    const std::string_view field = next_field(rest, what);
    T v{};
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    bool negative = false;
    if constexpr (std::is_signed_v<T>)
        negative = v < 0;
    if (ec != std::errc{} || end != field.data() + field.size() || negative)
        throw std::invalid_argument(
            fmt::format("residence line: {} '{}' is not a non-negative integer", what, field.substr(0, 40)));
    return v;
}

} // namespace

std::string format_residence_line(const ResidenceChunk& c) {
    return fmt::format("{}{} {} {} {} {}", kResidenceLinePrefix, c.start, c.end, c.data.unstamped,
                       c.data.discarded, base64_encode(hdr_encode_compressed(c.data.residence)));
}

std::string format_residence_unavailable(std::string_view why) {
    return fmt::format("{}{}{}", kResidenceLinePrefix, kUnavailable, why);
}

ResidenceLine parse_residence_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.substr(0, kResidenceLinePrefix.size()) != kResidenceLinePrefix)
        throw std::invalid_argument("not a residence line");
    std::string_view rest = line.substr(kResidenceLinePrefix.size());
    ResidenceLine out;
    if (rest.substr(0, kUnavailable.size()) == kUnavailable) {
        out.unavailable = std::string(rest.substr(kUnavailable.size()));
        if (out.unavailable.empty())
            throw std::invalid_argument("residence line: 'unavailable' without a reason");
        return out;
    }
    ResidenceChunk c;
    c.start = number<Nanos>(rest, "START_NS");
    c.end = number<Nanos>(rest, "END_NS");
    if (c.end < c.start)
        throw std::invalid_argument("residence line: END_NS is before START_NS");
    c.data.unstamped = number<std::uint64_t>(rest, "UNSTAMPED");
    c.data.discarded = number<std::uint64_t>(rest, "DISCARDED");
    const std::string_view encoded = next_field(rest, "HISTOGRAM");
    if (!rest.empty())
        throw std::invalid_argument("residence line: more than five fields");
    c.data.residence = hdr_decode_compressed(base64_decode(encoded)); // invalid_argument with the reason
    out.chunk = std::move(c);
    return out;
}

} // namespace le
