#pragma once

#include "histogram.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace le {

// HdrHistogram's "V2 compressed" histogram encoding, the payload of interval logs (hdr_log.h):
//   int32 cookie 0x1c849314, int32 N, then N bytes of zlib (deflate) data holding
//   int32 cookie 0x1c849313, int32 payload bytes, int32 normalizing index offset (0),
//   int32 significant digits, int64 lowest discernible value, int64 highest trackable value,
//   float64 integer-to-double ratio (1.0), then the counts as ZigZag LEB128 longs where a negative
//   number -n stands for n empty buckets in a row. All integers big-endian.
//
// Our Histogram has HdrHistogram's exact layout for lowest discernible value 1, 2 significant digits
// (256 sub-buckets, halves of 128) and highest trackable value 2^40 - 1: bucket i here is bucket i
// there, so counts, percentiles and min/max agree bucket for bucket with the reference (which keeps
// min and max only to the bucket: its max is the highest value equivalent to ours, its min the lowest).
inline constexpr int kHdrSignificantDigits = 2;
inline constexpr std::int64_t kHdrLowestDiscernible = 1;
inline constexpr std::int64_t kHdrHighestTrackable = Histogram::kMaxTrackable;

// The compressed encoding of `h` (raw bytes; base64 them for a log). Counts above 2^63 - 1, which
// Java's signed counts cannot hold, throw std::invalid_argument.
std::string hdr_encode_compressed(const Histogram& h);

// Decodes a V2 compressed histogram of any layout (lowest discernible value, digits, highest
// trackable value) into ours: each of its buckets is counted at its highest equivalent value, so
// percentiles agree with the reference within our resolution (exactly for our own layout); min is
// its lowest equivalent value, max its highest, and the sum (for the mean) uses bucket midpoints.
// Values above our kMaxTrackable count as overflow. Buckets of ours that would hold more than
// 2^63 - 1 (several of a finer layout's merged) are refused, so what is read can be written again. Input is
// untrusted: std::invalid_argument with the reason ("not a compressed HdrHistogram (cookie 0x...)",
// "truncated", ...) is the only error.
Histogram hdr_decode_compressed(std::string_view bytes);

} // namespace le
