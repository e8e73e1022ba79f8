#pragma once

#include "interval_record.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace le {

// The three renderings of interval and summary records that users script against. Columns, in
// order: type t_s target_rate achieved_rate payload tasks sent received lost errors min_us mean_us
// p50_us p90_us p99_us p999_us p9999_us max_us changes, then more columns appended over time (the
// last: send_lag_p50_us send_lag_p99_us send_lag_max_us saturated). A back-to-back target is "inf"
// in text and CSV and null in JSON.
enum class RecordFormat { Text, Json, Csv };
RecordFormat parse_record_format(std::string_view text); // throws std::invalid_argument

nlohmann::json to_json(const IntervalRecord& r);
std::string format_json_line(const IntervalRecord& r); // one line, no newline
std::string csv_header();
std::string format_csv_row(const IntervalRecord& r);
std::string text_header();
std::string format_text_row(const IntervalRecord& r);
// A few readable lines closing a text run: counts, rates, percentiles.
std::string format_text_summary(const IntervalRecord& summary);

// "header line\n" for formats that have one, else "".
std::string format_header(RecordFormat f);
std::string format_record(RecordFormat f, const IntervalRecord& r);

} // namespace le
