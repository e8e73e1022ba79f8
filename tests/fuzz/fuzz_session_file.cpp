// The session file reader (what File > Open and --open read). Any bytes must either be refused with
// std::runtime_error or load as a run that saves and loads back with the same name, info, intervals,
// summary and whole-run histogram.
#include "session_file.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    le::RunHistory run("fuzz");
    try {
        run = le::session_from_text(text, "fuzz");
    } catch (const std::runtime_error&) {
        return 0;
    }
    const nlohmann::json saved = le::session_to_json(run);
    const le::RunHistory back = le::session_from_text(saved.dump(), "other");
    if (le::session_to_json(back) != saved) {
        std::fprintf(stderr, "a session did not load back equal after saving:\nfirst:  %s\nsecond: %s\n",
                     saved.dump().substr(0, 2000).c_str(),
                     le::session_to_json(back).dump().substr(0, 2000).c_str());
        std::abort();
    }
    return 0;
}
