#pragma once

#include "split_stats.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace le {

// The JSON form of a kernel-timestamp split (split_stats.h), shared by the records (record_format.h),
// saved sessions and sweep files, so all three spell it alike:
//   {"send": PART, "wire": PART, "wake": PART, "unstamped": N, "discarded": N}, and with the peer's
//   side (`peer`) also "pong": PART, "network": PART.
//   PART = {"count", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"}
nlohmann::json split_to_json(const SplitStats& s, bool peer = false);
nlohmann::json part_to_json(const PartStats& p);

// Reads what split_to_json wrote; `where` names the object in errors ("intervals[3].split"), which
// are json_fields.h's JsonFieldError ("intervals[3].split.wire.p50_us is negative").
SplitStats split_from_json(const nlohmann::json& split, const std::string& where, bool peer = false);
PartStats part_from_json(const nlohmann::json& part, const std::string& where);

} // namespace le
