#include "split_list.h"

namespace le {

std::vector<std::string> split_list(std::string_view list) {
    constexpr std::string_view kSpace = " \t\r\n";
    std::vector<std::string> out;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        const std::size_t first = item.find_first_not_of(kSpace);
        if (first == std::string_view::npos)
            continue;
        item = item.substr(first, item.find_last_not_of(kSpace) - first + 1);
        out.emplace_back(item);
    }
    return out;
}

} // namespace le
