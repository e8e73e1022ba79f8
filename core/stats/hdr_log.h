#pragma once

#include "histogram.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace le {

// HdrHistogram interval logs (".hlog", as jHiccup, HistogramLogWriter/Reader and many load tools
// write them): comment lines starting '#', among them "#[StartTime: S (seconds since epoch), ...]"
// and "#[BaseTime: S (seconds since epoch)]"; the legend line
// "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"; and one line
// per interval, "[Tag=NAME,]START,LENGTH,MAX,BASE64" with START relative to the base time, seconds
// with 3 decimals, and BASE64 a V2 compressed histogram (hdr_codec.h).
//
// Ours hold round-trip times in nanoseconds (a comment line says so; the format has no unit field),
// and Interval_Max in milliseconds (the reference's default ratio of 10^6, "#[MaxValue: ...]" says so).

inline constexpr std::uint64_t kMaxHlogBytes = std::uint64_t{256} << 20;
inline constexpr double kHlogMaxValueRatio = 1e6; // Interval_Max = max ns / 10^6 (milliseconds)

struct HdrLogInterval {
    std::string tag;    // "" when the line has none
    double start_s = 0; // as written: relative to the base time (or absolute when there is none)
    double length_s = 0;
    double max_column = 0; // Interval_Max as written
    Histogram histogram;
    std::size_t line = 0; // 1-based line number in the text
};

struct HdrLog {
    std::optional<double> start_time_s; // #[StartTime: ...], seconds since the epoch
    std::optional<double> base_time_s;  // #[BaseTime: ...]
    std::vector<std::string> comments;  // the other comment lines, without '#'
    std::vector<HdrLogInterval> intervals;

    // An interval's start in seconds since the epoch (or since whatever the log counts from, when it
    // states neither time), by the reference reader's rule: without a base time, timestamps more than
    // a year before the start time are relative to it, others absolute.
    double absolute_start(const HdrLogInterval& i) const;
};

// The header lines of one of our logs: unit comments, format version, StartTime and BaseTime (both
// `start_epoch_s`; rows are then relative to it), `extra_comment` (may be empty; one line, no '\n')
// and the legend.
std::string hlog_header(double start_epoch_s, std::string_view extra_comment);

// One interval line, ending in '\n'. A tag must not contain ',', ' ' or a line break
// (std::invalid_argument otherwise); "" writes none.
std::string hlog_row(std::string_view tag, double start_s, double length_s, const Histogram& h);
// The same from a histogram already compressed (hdr_encode_compressed()) whose max is `max_ns`.
std::string hlog_row_compressed(std::string_view tag, double start_s, double length_s, std::int64_t max_ns,
                                std::string_view compressed);

// "2026-12-01T10:47:12Z" for seconds since the epoch, as StartTime lines show it.
std::string hlog_iso_time(double epoch_s);

// Parses a whole log (untrusted). Errors throw std::runtime_error naming the line:
// "SOURCE:12: corrupt interval log line: Interval_Length 'x' is not a number" (source may be empty).
HdrLog parse_hlog(std::string_view text, std::string_view source);

// Reads and parses PATH; files above kMaxHlogBytes are refused before reading (file_io.h).
HdrLog read_hlog(const std::string& path);

// Whether `text` (a file's first bytes) looks like an interval log rather than JSON or CSV: its first
// line is a "#[...]" header (as every writer's first line is), the legend, or a tagged interval.
bool looks_like_hlog(std::string_view text);

} // namespace le
