#pragma once

#include "histogram.h"

#include <nlohmann/json_fwd.hpp>

#include <string_view>

namespace le {

// Exact, compact JSON for a Histogram, for saved runs:
//   {"unit":"ns","sub_bucket_bits":8,"max_bits":40,"total":N,"overflow":N,"min":N,"max":N,"sum":N,
//    "counts":[[index,count],...]}
// Only non-empty buckets are listed (a typical RTT histogram fills a few hundred of 4352). The layout
// parameters are stored so that a file written with another layout is refused instead of misread.
nlohmann::json histogram_to_json(const Histogram& h);

// The inverse, operator== equal to what was saved. Input is untrusted (files, fuzzers): anything
// missing, mistyped or inconsistent throws std::runtime_error naming the part, e.g.
// "whole_run.counts[3] index 99999 is out of range (0..4351)" with `where` = "whole_run".
// Memory use is bounded by the layout, not by the numbers in the input.
Histogram histogram_from_json(const nlohmann::json& j, std::string_view where = "histogram");

} // namespace le
