#include "json_fields.h"

#include <fmt/format.h>

#include <cmath>

namespace le {
namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view name, std::string_view problem) {
    throw JsonFieldError(fmt::format("{} {}", name, problem));
}

} // namespace

const json& json_field(const json& object, std::string_view key, std::string_view name) {
    if (!object.is_object())
        fail(name, "is missing (not inside an object)");
    const auto it = object.find(key);
    if (it == object.end())
        fail(name, "is missing");
    return *it;
}

const std::string& json_string(const json& v, std::string_view name) {
    if (!v.is_string())
        fail(name, "is not a string");
    return v.get_ref<const std::string&>();
}

const json& json_object(const json& v, std::string_view name) {
    if (!v.is_object())
        fail(name, "is not an object");
    return v;
}

const json& json_array(const json& v, std::string_view name) {
    if (!v.is_array())
        fail(name, "is not an array");
    return v;
}

bool json_bool(const json& v, std::string_view name) {
    if (!v.is_boolean())
        fail(name, "is not true or false");
    return v.get<bool>();
}

double json_number(const json& v, std::string_view name) {
    if (!v.is_number())
        fail(name, "is not a number");
    const double d = v.get<double>();
    if (!std::isfinite(d))
        fail(name, "is not a finite number");
    return d;
}

double json_nonnegative(const json& v, std::string_view name) {
    const double d = json_number(v, name);
    if (d < 0)
        fail(name, "is negative");
    return d;
}

double json_number(const json& v, std::string_view name, double min, double max) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < min || v.get<double>() > max)
        fail(name, fmt::format("must be a number from {} to {}", min, max));
    return v.get<double>();
}

std::uint64_t json_count(const json& v, std::string_view name) {
    if (v.is_number_unsigned())
        return v.get<std::uint64_t>();
    // Documents built in memory hold non-negative ints as signed; the parser makes "-0" one too.
    if (v.is_number_integer()) {
        if (v.get<std::int64_t>() >= 0)
            return static_cast<std::uint64_t>(v.get<std::int64_t>());
        fail(name, "is negative");
    }
    if (v.is_number_float())
        fail(name, "is not an integer");
    fail(name, "is not a number");
}

void throw_json_integer_range(std::string_view name, std::string_view min, std::string_view max) {
    fail(name, fmt::format("must be an integer from {} to {}", min, max));
}

} // namespace le
