#include "hlog_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace le {

namespace {

IntervalRecord record_of(const Histogram& h, double end_s, double length_s) {
    IntervalRecord r;
    r.t_s = end_s;
    r.duration_s = length_s;
    r.sent = r.received = h.count();
    r.achieved_rate = length_s > 0 ? static_cast<double>(h.count()) / length_s : 0;
    r.set_stats(stats_of(h));
    return r;
}

} // namespace

std::vector<RunHistory> runs_from_hlog(const HdrLog& log, const std::string& name,
                                       const std::string& source) {
    if (log.intervals.empty())
        throw std::runtime_error(fmt::format("{}: an interval log without intervals", source));
    double origin = log.absolute_start(log.intervals.front());
    for (const auto& in : log.intervals)
        origin = std::min(origin, log.absolute_start(in));
    if (log.start_time_s && *log.start_time_s <= origin)
        origin = *log.start_time_s;

    std::vector<std::string> tags;
    std::vector<RunHistory> runs;
    for (const auto& in : log.intervals) {
        auto it = std::find(tags.begin(), tags.end(), in.tag);
        if (it == tags.end()) {
            tags.push_back(in.tag);
            runs.emplace_back(in.tag.empty() ? name : fmt::format("{} [{}]", name, in.tag));
            auto& info = runs.back().info();
            info["source"] = source;
            if (!in.tag.empty())
                info["tag"] = in.tag;
            if (log.start_time_s)
                info["started"] = hlog_iso_time(*log.start_time_s);
            it = tags.end() - 1;
        }
        const double start = log.absolute_start(in) - origin;
        IntervalRecord r = record_of(in.histogram, start + in.length_s, in.length_s);
        r.rtt_ns = std::make_shared<const Histogram>(in.histogram);
        runs[static_cast<std::size_t>(it - tags.begin())].add(r);
    }
    for (auto& run : runs) {
        double length = 0;
        for (const auto& r : run.intervals())
            length += r.duration_s;
        IntervalRecord summary = record_of(run.whole_run(), run.intervals().back().t_s, length);
        summary.kind = IntervalRecord::Kind::Summary;
        run.add(summary);
    }
    return runs;
}

std::string hlog_from_run(const RunHistory& run, double start_epoch_s) {
    const auto& records = run.intervals();
    const auto& encoded = run.encoded_histograms();
    const bool has_intervals =
        std::any_of(encoded.begin(), encoded.end(), [](const auto& e) { return !e.all.empty(); });
    if (!has_intervals) {
        std::string out =
            hlog_header(start_epoch_s, "[Saved without per-interval histograms: one line holds the "
                                       "whole run]");
        if (run.whole_run().empty())
            return out;
        const double end = records.empty() ? 0 : records.back().t_s;
        const double begin = records.empty() ? 0 : records.front().t_s - records.front().duration_s;
        return out + hlog_row("", begin, end - begin, run.whole_run());
    }
    std::string out = hlog_header(start_epoch_s, {});
    for (std::size_t i = 0; i < records.size() && i < encoded.size(); ++i) {
        const auto& r = records[i];
        const auto& e = encoded[i];
        if (e.all.empty())
            continue;
        const double start = r.t_s - r.duration_s;
        const auto ns = [](double us) { return static_cast<std::int64_t>(us * 1e3 + 0.5); };
        out += hlog_row_compressed("", start, r.duration_s, ns(r.max_us), e.all);
        if (!e.first.empty()) {
            out += hlog_row_compressed("first", start, r.duration_s, ns(r.first.max_us), e.first);
            out += hlog_row_compressed("rest", start, r.duration_s, ns(r.rest.max_us), e.rest);
        }
    }
    return out;
}

} // namespace le
