#pragma once

#include "sweep_result.h"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <vector>

namespace le {

// How a sweep file carries a point's kernel-timestamp split (split_stats.h). Files written before
// the split have none of it and load as points without one ("no: not asked for").
//  JSON: the point's "split_available", "peer_split_available" and "split" (split_json.h's form,
//        with pong and network when the peer's side is there; null without a split).
//  CSV: the columns split_csv_columns() names, after every older column so that readers which count
//       columns keep working: split_available, then split_{send,wire,wake}_{count,mean_us,p50_us,
//       p90_us,p99_us,max_us}, split_unstamped, split_discarded, peer_split_available,
//       split_{pong,network}_{count,...,max_us} (empty cells where there is no such part).

void add_split_json(nlohmann::json& point, const SweepPointResult& p);
// Throws JsonFieldError (json_fields.h) for a damaged split; absent members leave `p` as it is.
void read_split_json(const nlohmann::json& point, SweepPointResult& p);

const std::vector<std::string>& split_csv_columns();
// The cells of split_csv_columns(), unquoted: those of the *_available columns are text for the
// writer to quote, the others numbers (empty where there is no such part).
std::vector<std::string> split_csv_cells(const SweepPointResult& p);
// Reads the cells from a row (column name -> cell text); a row without the columns leaves `p` as it is.
// Throws std::runtime_error for a damaged cell.
void read_split_csv(const std::map<std::string, std::string>& row, SweepPointResult& p);

} // namespace le
