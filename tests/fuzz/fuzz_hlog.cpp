// The interval log reader (what --open FILE.hlog and File > Open read, with the V2 compressed
// histogram decoder under it). Any bytes must either be refused with std::runtime_error naming a line,
// or parse into intervals whose histograms write and read back with the same counts, and from then on
// unchanged (a foreign layout's min and mean are mapped onto our buckets once).
#include "hdr_codec.h"
#include "hdr_log.h"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

// Deflate hides the histogram decoder's header and count parsing from the fuzzer's mutations, so the
// input is also taken as the inflated bytes themselves: compressed and wrapped here, then decoded.
void decodeAsInflated(std::string_view bytes) {
    uLongf packed_size = compressBound(static_cast<uLong>(bytes.size()));
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                  reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()), 1) != Z_OK)
        std::abort();
    packed.resize(packed_size);
    std::string wrapped = {'\x1c', '\x84', '\x93', '\x14'};
    for (int i = 3; i >= 0; --i)
        wrapped.push_back(static_cast<char>((packed.size() >> (8 * i)) & 0xff));
    wrapped += packed;
    le::Histogram h;
    try {
        h = le::hdr_decode_compressed(wrapped);
    } catch (const std::invalid_argument&) {
        return;
    }
    const le::Histogram again = le::hdr_decode_compressed(le::hdr_encode_compressed(h));
    for (std::size_t k = 0; k < le::Histogram::kBucketCount; ++k)
        if (again.count_at_index(k) != h.count_at_index(k))
            std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    decodeAsInflated(text);
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
