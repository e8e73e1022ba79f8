// The system ping's output as the sweep's ICMP baseline reads it (whatever ping, locale or error it
// printed). parse_ping_output must take any bytes, and the incremental IcmpParser, fed the same bytes
// in chunks of any size as they come off the pipe, must reach exactly the same result.
#include "icmp_baseline.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string_view>

namespace {

// Equal, or both NaN (a field must not differ just because NaN != NaN).
bool same(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value())
        return false;
    return !a || *a == *b || (std::isnan(*a) && std::isnan(*b));
}

bool same(const le::IcmpOutput& a, const le::IcmpOutput& b) {
    return a.rtt == b.rtt && a.replies == b.replies && a.have_summary == b.have_summary &&
           a.transmitted == b.transmitted && a.received == b.received && a.errors == b.errors &&
           same(a.time_ms, b.time_ms) && same(a.min_user_interval_s, b.min_user_interval_s) &&
           a.not_permitted == b.not_permitted && a.other == b.other;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const le::IcmpOutput whole = le::parse_ping_output(text);

    // Chunk sizes from the input itself, so a failing input reproduces exactly.
    std::minstd_rand rng(static_cast<std::uint32_t>(size) * 2654435761u + (size ? data[0] : 0u));
    le::IcmpParser parser;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t n = rng() % 8 == 0 ? 1 + rng() % 9000 : 1 + rng() % 64;
        parser.feed(text.substr(at, n));
        at += n;
    }
    parser.finish();
    if (!same(whole, parser.output())) {
        std::fprintf(stderr, "fed in chunks, the parser read %llu replies, %llu sent; whole: %llu, %llu\n",
                     static_cast<unsigned long long>(parser.output().replies),
                     static_cast<unsigned long long>(parser.output().transmitted),
                     static_cast<unsigned long long>(whole.replies),
                     static_cast<unsigned long long>(whole.transmitted));
        std::abort();
    }
    for (const std::string& line : whole.other)
        if (line.size() > le::IcmpParser::kMaxLine)
            std::abort();

    // What the sweep makes of it: counts, rate, histogram summary, error text.
    (void)whole.send_rate();
    const le::SweepPointResult p = le::icmp_point_result(whole, 100, 1.5, "127.0.0.1");
    (void)p.percentile_us(99);
    (void)p.series();
    return 0;
}
