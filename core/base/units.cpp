#include "units.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace le {
namespace {

struct NumberAndSuffix {
    double value;
    std::string_view suffix;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Splits "12.5k" into 12.5 and "k". Throws when no finite non-negative number leads the text.
NumberAndSuffix split_number(std::string_view text, std::string_view what, std::string_view expected) {
    const auto fail = [&] {
        return std::invalid_argument(fmt::format("invalid {} '{}' (expected {})", what, text, expected));
    };
    const std::string_view t = trim(text);
    if (t.empty() || t.front() == '-' || t.front() == '+')
        throw fail();
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec != std::errc() || !std::isfinite(value) || value < 0)
        throw fail();
    return {value, trim(std::string_view(end, static_cast<std::size_t>(t.data() + t.size() - end)))};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// "12.50" -> "12.5", "3.0" -> "3"
std::string compact(double v) {
    std::string s = fmt::format("{:.2f}", v);
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

} // namespace

double parse_rate(std::string_view text) {
    static constexpr std::string_view expected = "a rate from 1 to 1M msg/s such as 100, 10k, 1M, or inf";
    const std::string l = lower(trim(text));
    if (l == "inf" || l == "max" || l == "b2b")
        return kRateInf;
    auto [value, suffix] = split_number(text, "rate", expected);
    if (suffix == "k")
        value *= 1e3;
    else if (suffix == "M" || suffix == "m")
        value *= 1e6;
    else if (!suffix.empty() && suffix != "/s")
        throw std::invalid_argument(fmt::format("invalid rate '{}' (expected {})", text, expected));
    if (value < kRateMin || value > kRateMax)
        throw std::invalid_argument(fmt::format("rate '{}' is out of range (expected {})", text, expected));
    return value;
}

std::string format_rate(double rate) {
    if (rate == kRateInf)
        return "inf";
    if (rate >= 1e6)
        return compact(rate / 1e6) + "M";
    if (rate >= 1e3)
        return compact(rate / 1e3) + "k";
    return compact(rate);
}

std::size_t parse_size(std::string_view text) {
    static constexpr std::string_view expected = "a size such as 64, 1KiB, 64k or 1MiB";
    auto [value, suffix] = split_number(text, "size", expected);
    static constexpr std::pair<std::string_view, double> units[] = {
        {"", 1},     {"b", 1},           {"k", 1e3}, {"kb", 1e3}, {"kib", 1024.0},      {"m", 1e6},
        {"mb", 1e6}, {"mib", 1048576.0}, {"g", 1e9}, {"gb", 1e9}, {"gib", 1073741824.0}};
    const std::string l = lower(suffix);
    const auto it = std::find_if(std::begin(units), std::end(units), [&](auto& u) { return u.first == l; });
    if (it == std::end(units))
        throw std::invalid_argument(fmt::format("invalid size '{}' (expected {})", text, expected));
    const double bytes = value * it->second;
    if (bytes != std::floor(bytes) || bytes > 1e15)
        throw std::invalid_argument(fmt::format("invalid size '{}' (expected whole bytes)", text));
    return static_cast<std::size_t>(bytes);
}

std::string format_size(std::size_t bytes) {
    // What is shown is typed back (the payload entry re-reads its own text, users copy it), so only a
    // form that parses to the same byte count will do: "1.5 KiB", "1 MB", else plain bytes. Two
    // decimals of KiB cannot say 1,000,000 ("976.56 KiB" is 999,997.44 bytes and is refused).
    if (bytes >= 1024) {
        static constexpr std::pair<double, std::string_view> units[] = {
            {1048576.0, "MiB"}, {1024.0, "KiB"}, {1e6, "MB"}, {1e3, "kB"}};
        for (const auto& [unit, name] : units) {
            if (static_cast<double>(bytes) < unit)
                continue;
            std::string text = compact(static_cast<double>(bytes) / unit) + " " + std::string(name);
            try {
                if (parse_size(text) == bytes)
                    return text;
            } catch (const std::invalid_argument&) {
                // a fraction of a byte: try the next unit
            }
        }
    }
    return fmt::format("{} B", bytes);
}

Nanos parse_duration(std::string_view text) {
    static constexpr std::string_view expected = "a duration such as 250us, 500ms, 10s, 2m or 1h";
    // Not a structured binding: clang 14 cannot capture those in the lambda below.
    const NumberAndSuffix parsed = split_number(text, "duration", expected);
    const double value = parsed.value;
    const std::string_view suffix = parsed.suffix;
    static constexpr std::pair<std::string_view, double> units[] = {
        {"", 1e9},   {"s", 1e9},  {"sec", 1e9}, {"ms", 1e6},   {"us", 1e3},
        {"µs", 1e3}, {"ns", 1.0}, {"m", 60e9},  {"min", 60e9}, {"h", 3600e9}};
    const auto it =
        std::find_if(std::begin(units), std::end(units), [&](auto& u) { return u.first == suffix; });
    if (it == std::end(units))
        throw std::invalid_argument(fmt::format("invalid duration '{}' (expected {})", text, expected));
    const double ns = value * it->second;
    if (ns > 1e18)
        throw std::invalid_argument(fmt::format("duration '{}' is too long", text));
    // 0 often means "forever" or "off": a duration that merely rounds to it must not.
    if (ns > 0 && std::llround(ns) == 0)
        throw std::invalid_argument(fmt::format("duration '{}' is shorter than 1 ns", text));
    return static_cast<Nanos>(std::llround(ns));
}

std::string format_duration(Nanos ns) {
    const double v = static_cast<double>(ns);
    if (ns >= 60 * kNanosPerSecond && ns % (60 * kNanosPerSecond) == 0)
        return fmt::format("{} min", ns / (60 * kNanosPerSecond));
    if (ns >= kNanosPerSecond)
        return compact(v / 1e9) + " s";
    if (ns >= kNanosPerMilli)
        return compact(v / 1e6) + " ms";
    if (ns >= kNanosPerMicro)
        return compact(v / 1e3) + " us";
    return fmt::format("{} ns", ns);
}

long long parse_count(std::string_view text) {
    static constexpr std::string_view expected = "a whole number such as 0, 100 or 1k";
    auto [value, suffix] = split_number(text, "number", expected);
    if (suffix == "k")
        value *= 1e3;
    else if (suffix == "M")
        value *= 1e6;
    else if (!suffix.empty())
        throw std::invalid_argument(fmt::format("invalid number '{}' (expected {})", text, expected));
    if (value != std::floor(value) || value > 1e15)
        throw std::invalid_argument(fmt::format("invalid number '{}' (expected {})", text, expected));
    return static_cast<long long>(value);
}

} // namespace le
