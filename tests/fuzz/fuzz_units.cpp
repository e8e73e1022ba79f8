// The command-line value parsers (rates, sizes, durations, counts). Any input either parses or throws
// std::invalid_argument; a value that parses prints back (format_*) as text that parses to nearly the
// same value, so what the window and the records show is what was typed.
#include "units.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, std::string_view input, double a, double b) {
    std::fprintf(stderr, "%s: '%.*s' -> %.17g, printed and parsed back -> %.17g\n", what, int(input.size()),
                 input.data(), a, b);
    std::abort();
}

// format_* keep two decimals of the unit they pick, so the round trip is within 0.5% plus one unit of
// the smallest step (1 ns, 1 byte).
bool close(double a, double b) {
    return std::fabs(a - b) <= 0.006 * std::fabs(a) + 1.0;
}

void rate(std::string_view s) {
    double r;
    try {
        r = le::parse_rate(s);
    } catch (const std::invalid_argument&) {
        return;
    }
    if (r != le::kRateInf && !(r >= le::kRateMin && r <= le::kRateMax))
        fail("rate out of range", s, r, r);
    const double back = le::parse_rate(le::format_rate(r));
    if (!close(r, back) || (r == le::kRateInf) != (back == le::kRateInf))
        fail("rate round trip", s, r, back);
}

void size(std::string_view s) {
    std::size_t n;
    try {
        n = le::parse_size(s);
    } catch (const std::invalid_argument&) {
        return;
    }
    const double back = static_cast<double>(le::parse_size(le::format_size(n)));
    if (!close(static_cast<double>(n), back))
        fail("size round trip", s, static_cast<double>(n), back);
}

void duration(std::string_view s) {
    le::Nanos ns;
    try {
        ns = le::parse_duration(s);
    } catch (const std::invalid_argument&) {
        return;
    }
    if (ns < 0)
        fail("negative duration", s, static_cast<double>(ns), 0);
    const double back = static_cast<double>(le::parse_duration(le::format_duration(ns)));
    if (!close(static_cast<double>(ns), back))
        fail("duration round trip", s, static_cast<double>(ns), back);
}

void count(std::string_view s) {
    try {
        if (le::parse_count(s) < 0)
            fail("negative count", s, 0, 0);
    } catch (const std::invalid_argument&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size_) {
    const std::string_view s(reinterpret_cast<const char*>(data), size_);
    rate(s);
    size(s);
    duration(s);
    count(s);
    return 0;
}
