#include "sparse_histogram.h"

#include <algorithm>

namespace le {

SparseHistogram SparseHistogram::of(const Histogram& h) {
    SparseHistogram s;
    s.total = h.count();
    s.overflow = h.overflow_count();
    s.sum = h.sum();
    s.min = h.min();
    s.max = h.max();
    if (s.total == 0)
        return s;
    for (std::size_t i = Histogram::index_of(s.min); i <= Histogram::index_of(s.max); ++i) {
        if (const std::uint64_t c = h.count_at_index(i))
            s.buckets.emplace_back(static_cast<std::uint32_t>(i), c);
    }
    return s;
}

void SparseHistogram::add(const SparseHistogram& other) {
    if (other.empty())
        return;
    if (empty()) {
        *this = other;
        return;
    }
    std::vector<std::pair<std::uint32_t, std::uint64_t>> merged;
    merged.reserve(buckets.size() + other.buckets.size());
    auto a = buckets.cbegin();
    auto b = other.buckets.cbegin();
    while (a != buckets.cend() || b != other.buckets.end()) {
        if (b == other.buckets.end() || (a != buckets.cend() && a->first < b->first))
            merged.push_back(*a++);
        else if (a == buckets.cend() || b->first < a->first)
            merged.push_back(*b++);
        else {
            merged.emplace_back(a->first, a->second + b->second);
            ++a;
            ++b;
        }
    }
    buckets = std::move(merged);
    total += other.total;
    overflow += other.overflow;
    sum += other.sum;
    min = std::min(min, other.min);
    max = std::max(max, other.max);
}

void SparseHistogram::apply_to(std::vector<std::uint64_t>& counts, int sign) const {
    for (const auto& [index, count] : buckets) {
        if (sign > 0)
            counts[index] += count;
        else
            counts[index] -= count;
    }
}

Histogram SparseHistogram::dense() const {
    if (empty())
        return Histogram();
    std::vector<std::uint64_t> counts(Histogram::kBucketCount, 0);
    apply_to(counts, +1);
    return Histogram::from_parts(counts, overflow, min, max, sum);
}

} // namespace le
