#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace le {

// The items of a comma-separated list as the command lines and the window take them ("1k, 10k,,100k"
// -> "1k", "10k", "100k"): each item trimmed of surrounding white space, empty items dropped. An
// empty or blank list gives no items; callers that need at least one say so in their own words.
std::vector<std::string> split_list(std::string_view list);

} // namespace le
