#include "histogram_json.h"

#include "json_fields.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace le {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
    throw std::runtime_error(message);
}

// Fields are named by their path ("whole_run.total"); json_fields.h's readers throw JsonFieldError,
// a std::runtime_error, with that name.
std::uint64_t u64_member(const json& object, std::string_view where, const char* key) {
    const std::string name = fmt::format("{}.{}", where, key);
    return json_count(json_field(object, key, name), name);
}

std::int64_t value_member(const json& object, std::string_view where, const char* key) {
    const std::uint64_t v = u64_member(object, where, key);
    if (v > static_cast<std::uint64_t>(Histogram::kMaxTrackable))
        fail(fmt::format("{}.{} {} is above the largest trackable value {}", where, key, v,
                         Histogram::kMaxTrackable));
    return static_cast<std::int64_t>(v);
}

void expect_layout(const json& object, std::string_view where, const char* key, std::uint64_t expected) {
    const std::uint64_t v = u64_member(object, where, key);
    if (v != expected)
        fail(fmt::format("{}.{} is {}, but this build's histograms use {}", where, key, v, expected));
}

} // namespace

nlohmann::json histogram_to_json(const Histogram& h) {
    json counts = json::array();
    for (std::size_t i = 0; i < Histogram::kBucketCount; ++i)
        if (const std::uint64_t n = h.count_at_index(i))
            counts.push_back(json::array({i, n}));
    return json{
        {"unit", "ns"},
        {"sub_bucket_bits", Histogram::kSubBucketBits},
        {"max_bits", Histogram::kMaxBits},
        {"total", h.count()},
        {"overflow", h.overflow_count()},
        {"min", h.min()},
        {"max", h.max()},
        {"sum", h.sum()},
        {"counts", std::move(counts)},
    };
}

Histogram histogram_from_json(const nlohmann::json& j, std::string_view where) {
    json_object(j, where);
    const json& unit = json_field(j, "unit", fmt::format("{}.unit", where));
    if (!unit.is_string() || unit.get_ref<const std::string&>() != "ns")
        fail(fmt::format("{}.unit is not \"ns\"", where));
    expect_layout(j, where, "sub_bucket_bits", Histogram::kSubBucketBits);
    expect_layout(j, where, "max_bits", Histogram::kMaxBits);
    const std::uint64_t total = u64_member(j, where, "total");
    const std::uint64_t overflow = u64_member(j, where, "overflow");
    const std::int64_t min = value_member(j, where, "min");
    const std::int64_t max = value_member(j, where, "max");
    const std::uint64_t sum = u64_member(j, where, "sum");

    const json& counts =
        json_array(json_field(j, "counts", fmt::format("{}.counts", where)), fmt::format("{}.counts", where));
    if (counts.size() > Histogram::kBucketCount)
        fail(fmt::format("{}.counts has {} entries, more than the {} buckets", where, counts.size(),
                         Histogram::kBucketCount));
    std::vector<std::uint64_t> dense(Histogram::kBucketCount, 0);
    std::vector<bool> listed(Histogram::kBucketCount, false);
    std::uint64_t added = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const json& pair = counts[k];
        const std::string at = fmt::format("{}.counts[{}]", where, k);
        if (!pair.is_array() || pair.size() != 2)
            fail(fmt::format("{} is not an [index, count] pair", at));
        const std::uint64_t index = json_count(pair[0], at + " index");
        if (index >= Histogram::kBucketCount)
            fail(fmt::format("{} index {} is out of range (0..{})", at, index, Histogram::kBucketCount - 1));
        if (listed[index])
            fail(fmt::format("{} index {} is listed twice", at, index));
        listed[index] = true;
        const std::uint64_t n = json_count(pair[1], at + " count");
        if (n > std::numeric_limits<std::uint64_t>::max() - added)
            fail(fmt::format("{}.counts add up to more than 2^64 - 1", where));
        added += n;
        dense[index] = n;
    }
    if (added != total)
        fail(fmt::format("{}.counts add up to {}, but total is {}", where, added, total));

    try {
        return Histogram::from_parts(dense, overflow, min, max, sum);
    } catch (const std::invalid_argument& e) {
        fail(fmt::format("{}: {}", where, e.what()));
    }
}

} // namespace le
