#include "run_history.h"

#include "hdr_codec.h"

#include <algorithm>

namespace le {

namespace {

// A curve point for a record loaded without its histogram: its own statistics are all there is, so
// its window is the record itself, under the same rule.
CurvePoint point_of_record(const IntervalRecord& r) {
    CurvePoint c;
    c.t_s = r.t_s;
    c.window_s = r.duration_s;
    c.samples = r.received;
    const auto at = [&](double p, double v) {
        return percentile_drawn(c.samples, p) ? v : CurvePoint::kNone;
    };
    c.p50_us = at(50, r.p50_us);
    c.p90_us = at(90, r.p90_us);
    c.p99_us = at(99, r.p99_us);
    c.p999_us = at(99.9, r.p999_us);
    c.max_us = c.samples > 0 ? r.max_us : CurvePoint::kNone;
    return c;
}

// Records [first, last) as one: counts summed, statistics of their merged histogram `h`, the newest
// record's settings, every change kept; the send lag of the worst of them (no histogram is kept for
// it), saturated when any was; the kernel split merged (split_stats.h: its percentiles are an upper
// bound).
IntervalRecord merge_records(std::vector<IntervalRecord>::const_iterator first,
                             std::vector<IntervalRecord>::const_iterator last, const Histogram& h) {
    IntervalRecord m = *(last - 1);
    m.duration_s = 0;
    m.sent = m.received = m.lost = m.errors = m.bytes = m.strays = m.skipped = 0;
    m.changes.clear();
    m.split = {};
    double cpu = 0;
    for (auto r = first; r != last; ++r) {
        m.split = merged(m.split, r->split);
        m.add_counts(*r);
        cpu += r->cpu_percent * r->duration_s;
        worst_send_lag(m, *r);
        m.changes.insert(m.changes.end(), r->changes.begin(), r->changes.end());
    }
    m.achieved_rate = m.duration_s > 0 ? static_cast<double>(m.sent) / m.duration_s : 0;
    m.cpu_percent = m.duration_s > 0 ? cpu / m.duration_s : 0;
    m.set_stats(stats_of(h));
    return m;
}

} // namespace

RunHistory::RunHistory(std::string name, double window_s)
    : m_name(std::move(name)) {
    set_window_s(window_s);
}

void RunHistory::set_window_s(double seconds) {
    seconds = std::clamp(seconds, 0.1, 10.0);
    m_window.set_span(seconds);
    m_window_first.set_span(seconds);
    m_window_rest.set_span(seconds);
    if (m_split)
        for (SlidingWindow& w : m_split->window)
            w.set_span(seconds);
}

const Histogram* RunHistory::window_split(std::size_t part) const {
    return m_split && part < kSplitParts ? &m_split->window[part].merged() : nullptr;
}

const Histogram* RunHistory::whole_split(std::size_t part) const {
    return m_split && part < kSplitParts ? &m_split->whole[part] : nullptr;
}

void RunHistory::add_split(const IntervalRecord& record) {
    if (!m_split) {
        m_split.emplace();
        for (SlidingWindow& w : m_split->window)
            w.set_span(m_window.span());
    }
    for (std::size_t i = 0; i < kSplitParts; ++i) {
        const Histogram& h = (*record.split_ns).*SplitData::kParts[i];
        m_split->whole[i].add(h);
        m_split->window[i].add(record.t_s, record.duration_s,
                               std::make_shared<const SparseHistogram>(SparseHistogram::of(h)));
    }
}

void RunHistory::set_detail_span(double seconds) {
    m_detail_span = std::max(10.0, seconds);
}

void RunHistory::add_marker(double t_s, std::string key, std::string value) {
    m_markers.push_back(ParamChange{t_s, std::move(key), std::move(value)});
}

void RunHistory::break_at(double t_s) {
    if (!m_curve.empty() && !m_curve.back().gap())
        m_curve.push_back(gap_point(t_s));
    m_broken = true;
}

void RunHistory::set_curve(std::vector<CurvePoint> curve) {
    m_curve = std::move(curve);
    m_curve_first_detail = 0;
    ++m_edits;
}

void RunHistory::add(const IntervalRecord& record) {
    if (record.kind == IntervalRecord::Kind::Summary) {
        m_summary = record;
        m_summary->rtt_ns.reset(); // the whole run is the sum of the intervals, across restarts too
        m_summary->rtt_first_ns.reset();
        m_summary->rtt_rest_ns.reset();
        m_summary->split_ns.reset();
        const std::size_t first = m_segments.empty() ? 0 : m_segments.back().end;
        m_segments.push_back({std::min(first, m_intervals.size()), m_intervals.size(), *m_summary, m_info});
        m_group_closed = true; // compaction never merges two sessions' records
        return;
    }
    if (m_broken) {
        m_window.clear();
        m_window_first.clear();
        m_window_rest.clear();
        if (m_split)
            for (SlidingWindow& w : m_split->window)
                w.clear();
        m_broken = false;
    }
    EncodedHistograms encoded;
    if (record.rtt_ns) {
        encoded.all = hdr_encode_compressed(*record.rtt_ns);
        if (record.rtt_first_ns && record.rtt_rest_ns) {
            encoded.first = hdr_encode_compressed(*record.rtt_first_ns);
            encoded.rest = hdr_encode_compressed(*record.rtt_rest_ns);
        }
        m_whole.add(*record.rtt_ns);
        auto sparse = std::make_shared<const SparseHistogram>(SparseHistogram::of(*record.rtt_ns));
        if (m_groups.empty() || m_group_closed || m_groups.back().covered >= 1.0 - 1e-6)
            m_groups.emplace_back();
        m_group_closed = false;
        Group& group = m_groups.back();
        group.records += 1;
        group.covered += record.duration_s;
        group.rtt.add(*sparse);
        m_window.add(record.t_s, record.duration_s, std::move(sparse));
        group.split = group.split && record.rtt_first_ns && record.rtt_rest_ns;
        if (record.rtt_first_ns && record.rtt_rest_ns) {
            m_whole_first.add(*record.rtt_first_ns);
            m_whole_rest.add(*record.rtt_rest_ns);
            auto first = std::make_shared<const SparseHistogram>(SparseHistogram::of(*record.rtt_first_ns));
            auto rest = std::make_shared<const SparseHistogram>(SparseHistogram::of(*record.rtt_rest_ns));
            if (group.split) {
                group.first.add(*first);
                group.rest.add(*rest);
            }
            m_window_first.add(record.t_s, record.duration_s, std::move(first));
            m_window_rest.add(record.t_s, record.duration_s, std::move(rest));
        }
        if (record.split_ns)
            add_split(record);
        m_curve.push_back(curve_point(m_window.merged(), record.t_s, m_window.covered_s()));
    } else {
        m_compactable = false;
        m_curve.push_back(point_of_record(record));
    }
    m_totals.sent += record.sent;
    m_totals.received += record.received;
    m_totals.lost += record.lost;
    m_totals.errors += record.errors;
    m_totals.bytes += record.bytes;
    m_totals.strays += record.strays;
    m_totals.skipped += record.skipped;
    m_encoded.push_back(std::move(encoded));
    m_intervals.push_back(record);
    m_intervals.back().rtt_ns.reset();
    m_intervals.back().rtt_first_ns.reset();
    m_intervals.back().rtt_rest_ns.reset();
    m_intervals.back().split_ns.reset();
    if (m_compactable)
        compact();
}

void RunHistory::compact() {
    const double newest = m_intervals.back().t_s;
    const double old_before = newest - m_detail_span;
    // A group is complete once a newer one exists; merged once all of it is older than the span.
    while (m_groups.size() > 1 &&
           m_intervals[m_first_detail + m_groups.front().records - 1].t_s < old_before) {
        const Group& group = m_groups.front();
        const std::size_t end = m_first_detail + group.records;
        const auto first = m_intervals.begin() + static_cast<std::ptrdiff_t>(m_first_detail);
        const auto last = m_intervals.begin() + static_cast<std::ptrdiff_t>(end);
        const Histogram all = group.rtt.dense();
        IntervalRecord one = merge_records(first, last, all);
        // The interval log keeps one entry per record: the merged histograms' encoding.
        EncodedHistograms merged;
        merged.all = hdr_encode_compressed(all);
        if (group.split) { // the burst split of the merged second, not of its newest record
            const Histogram first_of_burst = group.first.dense(), rest_of_burst = group.rest.dense();
            one.first = stats_of(first_of_burst);
            one.rest = stats_of(rest_of_burst);
            merged.first = hdr_encode_compressed(first_of_burst);
            merged.rest = hdr_encode_compressed(rest_of_burst);
        }
        const double until = one.t_s;
        *first = std::move(one);
        m_intervals.erase(first + 1, last);
        const auto encoded = m_encoded.begin() + static_cast<std::ptrdiff_t>(m_first_detail);
        *encoded = std::move(merged);
        m_encoded.erase(encoded + 1, encoded + static_cast<std::ptrdiff_t>(group.records));
        // Sessions end on group boundaries (add() closes the group at a summary), so a segment's
        // bounds past the group just move down by the records merged away.
        const std::size_t removed = group.records - 1;
        for (Segment& segment : m_segments) {
            if (segment.first >= end)
                segment.first -= removed;
            if (segment.end >= end)
                segment.end -= removed;
        }
        m_groups.pop_front(); // `group` is gone from here on
        ++m_first_detail;

        // The curve keeps its gaps and the newest point of the second (with a 1 s window, exactly
        // the percentiles of the merged second).
        std::size_t curve_end = m_curve_first_detail;
        while (curve_end < m_curve.size() && m_curve[curve_end].t_s <= until)
            ++curve_end;
        std::size_t out = m_curve_first_detail;
        for (std::size_t i = m_curve_first_detail; i < curve_end; ++i) {
            if (m_curve[i].gap() || i + 1 == curve_end)
                m_curve[out++] = m_curve[i];
        }
        m_curve.erase(m_curve.begin() + static_cast<std::ptrdiff_t>(out),
                      m_curve.begin() + static_cast<std::ptrdiff_t>(curve_end));
        m_curve_first_detail = out;
        ++m_edits;
    }
}

std::vector<ParamChange> RunHistory::changes() const {
    std::vector<ParamChange> out;
    for (const auto& r : m_intervals)
        out.insert(out.end(), r.changes.begin(), r.changes.end());
    return out;
}

} // namespace le
