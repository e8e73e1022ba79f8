#pragma once

#include <nlohmann/json.hpp>

#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace le {

// Readers for JSON that a file or a peer wrote, i.e. untrusted: each checks the type (and range) of
// one value and throws JsonFieldError naming it, so that "intervals[3].p50_us is not a number" or
// "field 'port' must be an integer from 0 to 65535" says what is wrong and where. `name` is how the
// caller's format names the value: a path in the files ("whole_run.counts[2] index"), "field 'port'"
// on the agent's wire. Callers that promise another exception type catch JsonFieldError and wrap it.

class JsonFieldError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// object[key]; "NAME is missing", also when `object` is no object at all ("... (not inside an
// object)").
const nlohmann::json& json_field(const nlohmann::json& object, std::string_view key, std::string_view name);

// The value itself when it has the type: "NAME is not a string" / "an object" / "an array" /
// "true or false".
const std::string& json_string(const nlohmann::json& v, std::string_view name);
const nlohmann::json& json_object(const nlohmann::json& v, std::string_view name);
const nlohmann::json& json_array(const nlohmann::json& v, std::string_view name);
bool json_bool(const nlohmann::json& v, std::string_view name);

// A finite number: "NAME is not a number", "NAME is not a finite number" (a document built in memory
// can hold infinity; the parser turns "1e999" into an error of its own).
double json_number(const nlohmann::json& v, std::string_view name);
// A finite number, not negative (a time, a rate, a latency): as json_number, or "NAME is negative".
double json_nonnegative(const nlohmann::json& v, std::string_view name);
// A number from min to max: "NAME must be a number from MIN to MAX" for anything else.
double json_number(const nlohmann::json& v, std::string_view name, double min, double max);

// A count (any integer from 0 to 2^64 - 1): "NAME is negative", "NAME is not an integer" (1.5),
// "NAME is not a number".
std::uint64_t json_count(const nlohmann::json& v, std::string_view name);

[[noreturn]] void throw_json_integer_range(std::string_view name, std::string_view min, std::string_view max);

// An integer from min to max that fits T: "NAME must be an integer from MIN to MAX" for anything
// else. Unlike nlohmann's get<int>(), which casts 1e300 to an int (undefined behaviour) and -1 to a
// huge size_t.
template <std::integral T>
T json_integer(const nlohmann::json& v, std::string_view name, T min = std::numeric_limits<T>::min(),
               T max = std::numeric_limits<T>::max()) {
    if (v.is_number_unsigned()) {
        if (const auto u = v.get<std::uint64_t>();
            std::cmp_greater_equal(u, min) && std::cmp_less_equal(u, max))
            return static_cast<T>(u);
    } else if (v.is_number_integer()) {
        if (const auto i = v.get<std::int64_t>();
            std::cmp_greater_equal(i, min) && std::cmp_less_equal(i, max))
            return static_cast<T>(i);
    }
    throw_json_integer_range(name, std::to_string(min), std::to_string(max));
}

// An array of such integers: "NAME is not an array", "NAME[2] must be an integer from MIN to MAX".
template <std::integral T> std::vector<T> json_integers(const nlohmann::json& v, std::string_view name) {
    const nlohmann::json& array = json_array(v, name);
    std::vector<T> out;
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i)
        out.push_back(json_integer<T>(array[i], std::string(name) + "[" + std::to_string(i) + "]"));
    return out;
}

} // namespace le
