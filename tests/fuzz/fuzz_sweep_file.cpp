// The sweep file reader (latency-ping sweep --resume, the GUI's Sweep tab > Open): CSV or JSON. Any
// bytes must either be refused with std::runtime_error or load as a sweep that, saved in either
// rendering, loads back and saves again to the very same text.
#include "sweep_result.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    le::SweepFile file;
    try {
        file = le::parse_sweep(text, "fuzz");
    } catch (const std::runtime_error&) {
        return 0;
    }
    (void)le::format_sweep_table(file);
    for (const le::SweepFormat format : {le::SweepFormat::Csv, le::SweepFormat::Json}) {
        const std::string saved = le::render_sweep(file, format);
        std::string again;
        try {
            again = le::render_sweep(le::parse_sweep(saved, "saved"), format);
        } catch (const std::runtime_error& e) {
            std::fprintf(stderr, "a saved sweep did not load: %s\n%s\n", e.what(),
                         saved.substr(0, 3000).c_str());
            std::abort();
        }
        if (again != saved) {
            std::fprintf(stderr, "a sweep did not load back equal after saving:\nfirst:  %s\nsecond: %s\n",
                         saved.substr(0, 3000).c_str(), again.substr(0, 3000).c_str());
            std::abort();
        }
    }
    return 0;
}
