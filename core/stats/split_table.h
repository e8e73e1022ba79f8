#pragma once

#include "split_stats.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace le {

// The kernel-timestamp split of several runs side by side (compare's variants, a sweep's points):
// one line per run with its stamped round trips and the p50 and p99 of send, wire and wake in
// microseconds (and, where the peer is a pong of ours, the p50 of its residence and of the network),
// so which part grew from one run to the next reads down a column.
// The header line (with a title line before it), `name_width` wide for the run's name.
std::string split_table_header(std::size_t name_width);
// One run's line: the numbers when `available` is "yes", else `available` itself ("no: ..."); with
// `peer_available` "yes" also the p50 of the pong's residence and of the network (wire less pong).
std::string split_table_row(std::string_view name, std::size_t name_width, std::string_view available,
                            const SplitStats& split, std::string_view peer_available = {});

} // namespace le
