#include "hdr_codec.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

namespace le {

namespace {

constexpr std::uint32_t kV2Cookie = 0x1c849303 | 0x10;
constexpr std::uint32_t kV2CompressedCookie = 0x1c849304 | 0x10;
constexpr std::size_t kHeaderBytes = 40;
// Our counts end at 4352 buckets (< 40 KiB of varints); the largest legal layout (5 digits, 2^63)
// needs ~55 MB. Payloads beyond this are refused rather than inflated.
constexpr std::size_t kMaxPayloadBytes = std::size_t{64} << 20;

std::uint32_t cookie_base(std::uint32_t cookie) {
    return cookie & ~std::uint32_t{0xf0};
}

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

// LEB128-64b9B: 7 bits a byte for up to 8 bytes, the 9th byte carries the top 8 bits whole.
void put_zigzag(std::string& out, std::int64_t value) {
    std::uint64_t v = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
    for (int i = 0; i < 8; ++i) {
        if ((v >> 7) == 0) {
            out.push_back(static_cast<char>(v));
            return;
        }
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

std::int64_t get_zigzag(std::string_view in, std::size_t& at) {
    std::uint64_t v = 0;
    for (int i = 0; i < 9; ++i) {
        if (at >= in.size())
            throw std::invalid_argument("truncated count in the histogram payload");
        const auto b = static_cast<unsigned char>(in[at++]);
        if (i == 8) {
            v |= std::uint64_t{b} << 56;
            break;
        }
        v |= std::uint64_t{b & 0x7fu} << (7 * i);
        if ((b & 0x80) == 0)
            break;
    }
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Inflates a zlib stream, stopping once `want` bytes are out (or the stream ends).
std::string inflate_bounded(std::string_view in, std::size_t want) {
    z_stream z{};
    if (inflateInit(&z) != Z_OK)
        throw std::invalid_argument("zlib cannot start inflating");
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (out.size() < want && rc == Z_OK) {
        const std::size_t before = out.size();
        const std::size_t chunk = std::min<std::size_t>(want - before, 64 * 1024);
        out.resize(before + chunk);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        z.avail_out = static_cast<uInt>(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        out.resize(before + chunk - z.avail_out);
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break; // input exhausted before the stream's end
    }
    inflateEnd(&z);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        throw std::invalid_argument(fmt::format("corrupt deflate data ({})", z.msg ? z.msg : "zlib error"));
    return out;
}

// The layout of a histogram in the log: where its buckets lie.
struct Layout {
    int unit_magnitude = 0;
    int sub_bucket_half_magnitude = 0;
    std::int64_t sub_bucket_half = 0;

    Layout(int digits, std::int64_t lowest) {
        unit_magnitude = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(lowest))) - 1;
        std::uint64_t single_unit = 2; // the largest value with single-unit resolution: 2 * 10^digits
        for (int d = 0; d < digits; ++d)
            single_unit *= 10;
        const int count_magnitude = static_cast<int>(std::bit_width(single_unit - 1)); // ceil(log2)
        sub_bucket_half_magnitude = std::max(count_magnitude, 1) - 1;
        sub_bucket_half = std::int64_t{1} << sub_bucket_half_magnitude;
    }
    // [lowest, highest] equivalent values of bucket `index`; false when they do not fit in 63 bits.
    bool range(std::int64_t index, std::int64_t& lo, std::int64_t& hi) const {
        std::int64_t bucket = (index >> sub_bucket_half_magnitude) - 1;
        std::int64_t sub = (index & (sub_bucket_half - 1)) + sub_bucket_half;
        if (bucket < 0) {
            sub -= sub_bucket_half;
            bucket = 0;
        }
        const std::int64_t shift = bucket + unit_magnitude;
        if (shift + sub_bucket_half_magnitude + 1 > 62)
            return false;
        lo = sub << shift;
        hi = lo + (std::int64_t{1} << shift) - 1;
        return true;
    }
};

} // namespace

std::string hdr_encode_compressed(const Histogram& h) {
    std::string plain;
    put_be(plain, kV2Cookie, 4);
    put_be(plain, 0, 4); // payload length, set below
    put_be(plain, 0, 4); // normalizing index offset
    put_be(plain, kHdrSignificantDigits, 4);
    put_be(plain, kHdrLowestDiscernible, 8);
    put_be(plain, kHdrHighestTrackable, 8);
    put_be(plain, std::bit_cast<std::uint64_t>(1.0), 8);
    // Like the reference: buckets up to the one holding max, runs of 2+ empty buckets as -n.
    const std::size_t limit = Histogram::index_of(h.max()) + 1;
    for (std::size_t i = 0; i < limit;) {
        const std::uint64_t c = h.count_at_index(i++);
        if (c > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw std::invalid_argument("a bucket count above 2^63 - 1 cannot be written as an HdrHistogram");
        std::int64_t zeros = 0;
        if (c == 0) {
            zeros = 1;
            while (i < limit && h.count_at_index(i) == 0) {
                ++zeros;
                ++i;
            }
        }
        put_zigzag(plain, zeros > 1 ? -zeros : static_cast<std::int64_t>(c));
    }
    const std::size_t payload = plain.size() - kHeaderBytes;
    for (int k = 0; k < 4; ++k)
        plain[4 + static_cast<std::size_t>(k)] = static_cast<char>((payload >> (8 * (3 - k))) & 0xff);

    uLongf packed_size = compressBound(static_cast<uLong>(plain.size()));
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                  reinterpret_cast<const Bytef*>(plain.data()), static_cast<uLong>(plain.size()),
                  Z_DEFAULT_COMPRESSION) != Z_OK)
        throw std::runtime_error("zlib could not compress a histogram");
    packed.resize(packed_size);
    std::string out;
    put_be(out, kV2CompressedCookie, 4);
    put_be(out, packed.size(), 4);
    return out + packed;
}

Histogram hdr_decode_compressed(std::string_view bytes) {
    if (bytes.size() < 8)
        throw std::invalid_argument(
            fmt::format("{} bytes are too short for a compressed HdrHistogram", bytes.size()));
    const auto cookie = static_cast<std::uint32_t>(get_be(bytes, 0, 4));
    if (cookie_base(cookie) != cookie_base(kV2CompressedCookie))
        throw std::invalid_argument(
            fmt::format("not a V2 compressed HdrHistogram (cookie 0x{:08x}; V0/V1 and DoubleHistogram "
                        "encodings are not read)",
                        cookie));
    const std::uint64_t packed = get_be(bytes, 4, 4);
    if (packed > bytes.size() - 8)
        throw std::invalid_argument(
            fmt::format("truncated: {} compressed bytes announced, {} present", packed, bytes.size() - 8));
    const std::string header = inflate_bounded(bytes.substr(8, packed), kHeaderBytes);
    if (header.size() < kHeaderBytes)
        throw std::invalid_argument("truncated: the compressed data ends inside the histogram header");
    const auto inner = static_cast<std::uint32_t>(get_be(header, 0, 4));
    if (cookie_base(inner) != cookie_base(kV2Cookie))
        throw std::invalid_argument(fmt::format("not a V2 HdrHistogram inside (cookie 0x{:08x})", inner));
    const std::uint64_t payload_bytes = get_be(header, 4, 4);
    const auto offset = static_cast<std::int32_t>(get_be(header, 8, 4));
    const auto digits = static_cast<std::int32_t>(get_be(header, 12, 4));
    const auto lowest = static_cast<std::int64_t>(get_be(header, 16, 8));
    const auto highest = static_cast<std::int64_t>(get_be(header, 24, 8));
    if (offset != 0)
        throw std::invalid_argument(
            fmt::format("normalizing index offset {} (shifted histograms are not read)", offset));
    if (digits < 0 || digits > 5)
        throw std::invalid_argument(fmt::format("{} significant digits (0 to 5 are valid)", digits));
    if (lowest < 1 || highest / 2 < lowest) // (not 2 * lowest: that overflows for a hostile lowest)
        throw std::invalid_argument(
            fmt::format("lowest discernible value {} and highest trackable value {} are not a valid range",
                        lowest, highest));
    if (payload_bytes > kMaxPayloadBytes)
        throw std::invalid_argument(
            fmt::format("a payload of {} bytes is larger than any histogram's", payload_bytes));
    // The whole stream again, header included: zlib has no cheap way to resume across calls here.
    const std::string plain = inflate_bounded(bytes.substr(8, packed), kHeaderBytes + payload_bytes);
    if (plain.size() < kHeaderBytes + payload_bytes)
        throw std::invalid_argument(fmt::format("truncated: {} payload bytes announced, {} present",
                                                payload_bytes, plain.size() - kHeaderBytes));
    const std::string_view counts(plain.data() + kHeaderBytes, payload_bytes);

    const Layout layout(digits, lowest);
    std::vector<std::uint64_t> ours(Histogram::kBucketCount, 0);
    std::uint64_t overflow = 0, sum = 0;
    std::int64_t min = -1, max = 0;
    std::int64_t index = 0;
    for (std::size_t at = 0; at < counts.size();) {
        const std::int64_t v = get_zigzag(counts, at);
        if (v < 0) {
            if (v < -std::int64_t{std::numeric_limits<std::int32_t>::max()})
                throw std::invalid_argument(
                    fmt::format("a run of {} empty buckets", -static_cast<double>(v)));
            index += -v;
            continue;
        }
        const std::int64_t i = index++;
        if (v == 0)
            continue;
        std::int64_t lo = 0, hi = 0;
        if (!layout.range(i, lo, hi))
            throw std::invalid_argument(fmt::format("a count at bucket {}, beyond any 63-bit value", i));
        const auto count = static_cast<std::uint64_t>(v);
        const std::int64_t at_value = std::min(hi, Histogram::kMaxTrackable);
        const std::size_t b = Histogram::index_of(at_value);
        // Signed 64-bit counts, like the reference's: what we read, we can write again.
        constexpr auto kMaxCount = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (ours[b] > kMaxCount - count)
            throw std::invalid_argument(fmt::format("counts add up to more than 2^63 - 1 in bucket {}", b));
        ours[b] += count;
        if (hi > Histogram::kMaxTrackable)
            overflow += count;
        if (min < 0)
            min = std::max(std::min(lo, Histogram::kMaxTrackable), Histogram::lowest_equivalent(b));
        max = at_value;
        const std::int64_t floor = std::max(Histogram::lowest_equivalent(b), min);
        const std::int64_t ceil = std::min(Histogram::highest_equivalent(b), at_value);
        const std::int64_t mid = std::clamp(lo + (hi - lo + 1) / 2, floor, ceil);
        sum += count * static_cast<std::uint64_t>(mid); // wraps like Histogram's own sum
    }
    if (min < 0)
        return Histogram();
    return Histogram::from_parts(ours, overflow, min, max, sum);
}

} // namespace le
