#pragma once

#include "residence_chunks.h"

#include <optional>
#include <string>
#include <string_view>

namespace le {

// latency-pong --report-residence: one stdout line per period, for the window that started it.
//   residence START_NS END_NS UNSTAMPED DISCARDED HISTOGRAM
// START_NS and END_NS: CLOCK_MONOTONIC nanoseconds (the reader runs on the same host, so the clock
// is the reader's own); HISTOGRAM: the residence in ns as hdr_codec.h's compressed encoding,
// base64 (the interval logs' format, hdr_log.h). A pong that cannot measure says so once instead:
//   residence unavailable: REASON
inline constexpr std::string_view kResidenceLinePrefix = "residence ";

// The line for `chunk`, without its '\n'.
std::string format_residence_line(const ResidenceChunk& chunk);
// The line saying the pong does not measure, and why.
std::string format_residence_unavailable(std::string_view why);

// One line (without its '\n'), untrusted. Holds either a chunk or the reason the pong does not
// measure. Throws std::invalid_argument saying what is wrong with a line that starts with the prefix
// but is not one of the two forms (a line without the prefix is not a residence line: check first).
struct ResidenceLine {
    std::optional<ResidenceChunk> chunk;
    std::string unavailable;
};
ResidenceLine parse_residence_line(std::string_view line);

} // namespace le
