#pragma once

#include "histogram.h"
#include "interval_record.h"
#include "sparse_histogram.h"
#include "windowed_percentiles.h"

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace le {

// Everything a viewer keeps of one run: the interval records, the percentile curves over a sliding
// window (windowed_percentiles.h), the whole-run histogram, markers, running totals, and the summary
// once the run is over. Saved runs are loaded into the same type (session_file.h), so live and saved
// runs plot alike.
//
// Memory is bounded by time, not by run length: records of the last detail_span() seconds keep full
// detail (and their histograms, sparse); older ones are compacted into ~1 s records whose histograms
// are merged exactly before being dropped, and the curve keeps one point per such second (plus its
// gaps). The whole-run histogram is always exact.
class RunHistory {
public:
    explicit RunHistory(std::string name = "live", double window_s = 1.0);

    const std::string& name() const { return m_name; }
    void set_name(std::string name) { m_name = std::move(name); }

    // Parameters and host facts worth saving with the run: "peer", "transport", "engine", "loop",
    // "host", "started", ... Free-form strings, shown as they are.
    std::map<std::string, std::string>& info() { return m_info; }
    const std::map<std::string, std::string>& info() const { return m_info; }

    // Adds an interval (merging its histogram into the window and the whole run, and stepping the
    // curves) or, for a summary, stores it as the run's summary.
    void add(const IntervalRecord& record);

    // In time order; the first compacted() of them are ~1 s compacted records.
    const std::vector<IntervalRecord>& intervals() const { return m_intervals; }
    std::size_t compacted() const { return m_first_detail; }
    const Histogram& whole_run() const { return m_whole; }
    // The interval histograms of the last window_s() seconds merged: what the histogram, the
    // distribution, the readout and the newest curve point all show.
    const Histogram& window() const { return m_window.merged(); }
    double window_s() const { return m_window.span(); }
    // Time the window's intervals actually cover (less than window_s() early in a run).
    double window_covered_s() const { return m_window.covered_s(); }
    // The window from the next interval on, clamped to [0.1, 10] s; earlier curve points keep theirs.
    void set_window_s(double seconds);
    // The summary of the last segment (session) of the run. A run restarted (new engine, loop mode,
    // peer) has one segment per session: segments() has each one's.
    const std::optional<IntervalRecord>& summary() const { return m_summary; }
    // A finished session of the run: its intervals [first, end) of intervals() (compaction keeps
    // them pointing at the same session: it never merges records of two sessions), its summary, and
    // the info() it ran with (engine, transport, peer, ...), kept as they were when it ended.
    struct Segment {
        std::size_t first = 0, end = 0;
        IntervalRecord summary;
        std::map<std::string, std::string> info;
    };
    const std::vector<Segment>& segments() const { return m_segments; }
    // With bursts (burst > 1): the first round trip of each tick and the others, apart. Empty otherwise.
    const Histogram& window_first() const { return m_window_first.merged(); }
    const Histogram& window_rest() const { return m_window_rest.merged(); }
    const Histogram& whole_first() const { return m_whole_first; }
    const Histogram& whole_rest() const { return m_whole_rest; }
    bool empty() const { return m_intervals.empty(); }
    // With the kernel split (records carrying split_ns): the histogram of part `part` of
    // SplitData::kParts (0 send, 1 wire, 2 wake, 3 the pong's residence) over the window and over
    // the whole run. Null when no record had the split's histograms or `part` is out of range.
    static constexpr std::size_t kSplitParts = std::size(SplitData::kParts);
    const Histogram* window_split(std::size_t part) const;
    const Histogram* whole_split(std::size_t part) const;

    // The percentile curves, one point per interval (per ~1 s where compacted), in time order.
    const std::vector<CurvePoint>& curve() const { return m_curve; }
    // Counts over every interval added, kept as they arrive: O(1) to read.
    struct Totals {
        std::uint64_t sent = 0, received = 0, lost = 0, errors = 0, bytes = 0, strays = 0, skipped = 0;
    };
    const Totals& totals() const { return m_totals; }

    // Timeline markers that are not parameter changes: "start", "stop", "restart", "peer lost",
    // "note", ... `key` is the kind, `value` the short label shown. Kept in time order of adding.
    void add_marker(double t_s, std::string key, std::string value);
    const std::vector<ParamChange>& markers() const { return m_markers; }
    // The data stopped at `t_s` (stop, peer lost): the curves get a gap there and the next interval
    // starts a fresh window, so no line and no window joins across.
    void break_at(double t_s);

    // Seconds of full detail kept behind the newest record (at least 10).
    void set_detail_span(double seconds);
    double detail_span() const { return m_detail_span; }
    // Grows whenever records or curve points already handed out are rewritten (compaction or a
    // loader's set_curve), so a viewer knows to redraw from scratch rather than append.
    std::uint64_t edits() const { return m_edits; }

    // Each interval's histograms compressed (hdr_codec.h; "" where the record had none), index for
    // index with intervals(): what an interval log export (hlog_run.h) writes. A few hundred bytes
    // an interval, where the histograms themselves would take 35 KiB. A compacted record's entry
    // is its merged histograms' encoding, so the log stays exact per (compacted) interval.
    struct EncodedHistograms {
        std::string all, first, rest;
    };
    const std::vector<EncodedHistograms>& encoded_histograms() const { return m_encoded; }

    // Every change stamped into the intervals, in order.
    std::vector<ParamChange> changes() const;

    // For loaders: replaces the whole-run histogram (interval records loaded without one), the curve
    // (as saved) and the summary.
    void set_whole_run(const Histogram& h) { m_whole = h; }
    void set_curve(std::vector<CurvePoint> curve);
    void set_summary(const IntervalRecord& s) { m_summary = s; }

private:
    void compact();

    std::string m_name;
    std::map<std::string, std::string> m_info;
    std::vector<IntervalRecord> m_intervals;  // rtt_ns reset: statistics only
    std::vector<EncodedHistograms> m_encoded; // index for index with m_intervals
    std::size_t m_first_detail = 0;           // records before it are compacted
    // The records from m_first_detail on, in the ~1 s groups compaction will merge, each with its
    // histograms already merged: a minute of detail costs 60 merged histograms, not 1,800.
    struct Group {
        std::size_t records = 0;
        double covered = 0;
        SparseHistogram rtt;
        bool split = true; // every record had first/rest: those merged too
        SparseHistogram first, rest;
    };
    std::deque<Group> m_groups;
    bool m_group_closed = false; // a session ended: the next record starts a group
    bool m_compactable = true;   // false once a record came without its histogram (a loaded run)
    std::vector<CurvePoint> m_curve;
    std::size_t m_curve_first_detail = 0; // curve points before it are compacted
    SlidingWindow m_window, m_window_first, m_window_rest;
    Histogram m_whole;
    Histogram m_whole_first, m_whole_rest;
    // Only once a record brings the split's histograms: four more windows cost nothing without it.
    struct SplitHistograms {
        std::array<SlidingWindow, kSplitParts> window;
        std::array<Histogram, kSplitParts> whole;
    };
    std::optional<SplitHistograms> m_split;
    void add_split(const IntervalRecord& record);
    Totals m_totals;
    std::vector<ParamChange> m_markers;
    bool m_broken = false; // a break since the last interval
    double m_detail_span = 60;
    std::uint64_t m_edits = 0;
    std::optional<IntervalRecord> m_summary;
    std::vector<Segment> m_segments;
};

} // namespace le
