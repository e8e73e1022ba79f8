// The interval log reader (what --open FILE.hlog and File > Open read, with the V2 compressed
// histogram decoder under it). Any bytes must either be refused with std::runtime_error naming a line,
// or parse into intervals whose histograms write and read back with the same counts, and from then on
// unchanged (a foreign layout's min and mean are mapped onto our buckets once).
#include "hdr_log.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    le::HdrLog log;
    try {
        log = le::parse_hlog(text, "fuzz");
    } catch (const std::runtime_error& e) {
        if (std::string_view(e.what()).find("fuzz:") != 0) {
            std::fprintf(stderr, "an error without its line: %s\n", e.what());
            std::abort();
        }
        return 0;
    }
    const auto rewrite = [](const le::HdrLog& l) {
        std::string text;
        for (const auto& in : l.intervals)
            text += le::hlog_row("", 0, 1, in.histogram);
        return le::parse_hlog(text, "again");
    };
    const le::HdrLog second = rewrite(log);
    const le::HdrLog third = rewrite(second);
    if (second.intervals.size() != log.intervals.size() || third.intervals.size() != log.intervals.size())
        std::abort();
    for (std::size_t i = 0; i < log.intervals.size(); ++i) {
        const le::Histogram& a = log.intervals[i].histogram;
        const le::Histogram& b = second.intervals[i].histogram;
        bool same_counts = a.count() == b.count(); // (overflow is no part of the format)
        for (std::size_t k = 0; k < le::Histogram::kBucketCount && same_counts; ++k)
            same_counts = a.count_at_index(k) == b.count_at_index(k);
        if (!same_counts || !(third.intervals[i].histogram == b)) {
            std::fprintf(stderr, "interval %zu did not read back equal after writing\n", i);
            std::abort();
        }
    }
    return 0;
}
