// CPU lists ("0", "0,2", "1-3"). Any input either parses or throws std::invalid_argument; a parsed list
// names only CPUs this machine has and prints (format_cpu_list) as a list that parses to the same CPUs.
#include "cpu_affinity.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<int> cpus;
    try {
        cpus = le::parse_cpu_list(text);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const long n = sysconf(_SC_NPROCESSORS_CONF);
    if (cpus.empty() || std::any_of(cpus.begin(), cpus.end(), [n](int c) { return c < 0 || c >= n; })) {
        std::fprintf(stderr, "'%.*s' gave an empty list or a CPU outside 0..%ld\n", int(size), text.data(),
                     n - 1);
        std::abort();
    }
    // Sorted and deduplicated, as a printed list would be read by a user.
    const std::set<int> wanted(cpus.begin(), cpus.end());
    const std::vector<int> unique(wanted.begin(), wanted.end());
    const std::vector<int> back = le::parse_cpu_list(le::format_cpu_list(unique));
    if (std::set<int>(back.begin(), back.end()) != wanted) {
        std::fprintf(stderr, "'%.*s' printed as '%s' parses to other CPUs\n", int(size), text.data(),
                     le::format_cpu_list(unique).c_str());
        std::abort();
    }
    return 0;
}
