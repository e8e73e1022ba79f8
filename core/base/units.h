#pragma once

#include "clock.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace le {

// Parsers for the values users type on command lines and in the window. Each throws
// std::invalid_argument with a message that quotes the input and says what was expected.

// Messages per second: "1000", "2.5k", "1M", "inf" (back-to-back). inf is returned as kRateInf.
inline constexpr double kRateInf = 0.0;
inline constexpr double kRateMin = 1.0;
inline constexpr double kRateMax = 1'000'000.0;
double parse_rate(std::string_view text);
std::string format_rate(double rate); // "inf", "1k", "12.5k", "1M", "7"

// Bytes: "64", "64B", "1KiB", "1k" (= 1000), "1MiB", "2MB".
std::size_t parse_size(std::string_view text);
std::string format_size(std::size_t bytes); // "64 B", "1 KiB", "1.5 MiB"

// Durations: "500ms", "10s", "2m", "1h", "250us", "100ns"; a bare number means seconds. Refused
// (std::invalid_argument): other text, over 1e18 ns, and above 0 but under 1 ns ("0.1ns", which
// would otherwise read as 0, often "forever").
Nanos parse_duration(std::string_view text);
std::string format_duration(Nanos ns); // "500 ms", "10 s", "20 us"

// Non-negative integers with optional k/M suffix: "1000", "1k".
long long parse_count(std::string_view text);

} // namespace le
