// The histogram reader of saved runs. Input is any JSON text: what parses must either be refused with
// std::runtime_error or give a histogram that saves and loads back operator== equal.
#include "histogram_json.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        return 0;
    le::Histogram h;
    try {
        h = le::histogram_from_json(j);
    } catch (const std::runtime_error&) {
        return 0;
    }
    // Whatever was accepted must be self-consistent enough for the statistics the window shows.
    if (h.count() > 0 && (h.min() > h.max() || h.value_at_percentile(50) > h.value_at_percentile(100) + 1)) {
        std::fprintf(stderr, "accepted a histogram with min %lld > max %lld or p50 > p100\n",
                     static_cast<long long>(h.min()), static_cast<long long>(h.max()));
        std::abort();
    }
    const le::Histogram back =
        le::histogram_from_json(nlohmann::json::parse(le::histogram_to_json(h).dump()));
    if (!(back == h)) {
        std::fprintf(stderr, "a histogram did not load back equal after saving\n");
        std::abort();
    }
    return 0;
}
