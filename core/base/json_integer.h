#pragma once

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace le {

// Integers out of JSON that a file or a peer wrote. nlohmann's get<int>() turns 1e300 into an int
// with a plain cast (undefined behaviour) and -1 into a huge size_t; this refuses both, and any
// non-integer, with std::invalid_argument.
template <std::integral T> T json_integer(const nlohmann::json& v) {
    if (v.is_number_unsigned()) {
        if (const auto u = v.get<std::uint64_t>(); std::in_range<T>(u))
            return static_cast<T>(u);
    } else if (v.is_number_integer()) {
        if (const auto i = v.get<std::int64_t>(); std::in_range<T>(i))
            return static_cast<T>(i);
    }
    throw std::invalid_argument(
        fmt::format("{} is not an integer from {} to {}",
                    v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 40),
                    std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

template <std::integral T> std::vector<T> json_integers(const nlohmann::json& v) {
    if (!v.is_array())
        throw std::invalid_argument("expected an array of integers");
    std::vector<T> out;
    for (const auto& e : v)
        out.push_back(json_integer<T>(e));
    return out;
}

} // namespace le
