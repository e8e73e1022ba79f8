#pragma once

#include "histogram.h"
#include "interval_record.h"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace le {

// Everything a viewer keeps of one run: the interval records (their statistics; the per-interval
// histograms are not kept, so a long run costs ~200 bytes a record), a rolling window of the most
// recent interval histograms, the whole-run histogram, and the summary once the run is over.
// Saved runs are loaded into the same type (session_file.h), so live and saved runs plot alike.
class RunHistory {
public:
    explicit RunHistory(std::string name = "live", std::size_t window_intervals = 10);

    const std::string& name() const { return m_name; }
    void set_name(std::string name) { m_name = std::move(name); }

    // Parameters and host facts worth saving with the run: "peer", "transport", "engine", "loop",
    // "host", "started", ... Free-form strings, shown as they are.
    std::map<std::string, std::string>& info() { return m_info; }
    const std::map<std::string, std::string>& info() const { return m_info; }

    // Adds an interval (merging its histogram into the window and the whole run) or, for a summary,
    // stores it as the run's summary.
    void add(const IntervalRecord& record);

    const std::vector<IntervalRecord>& intervals() const { return m_intervals; }
    const Histogram& whole_run() const { return m_whole; }
    // The last `window_intervals` interval histograms merged.
    const Histogram& window() const { return m_window; }
    // The summary of the last segment (session) of the run. A run restarted (new engine, loop mode,
    // peer) has one segment per session: segments() has each one's.
    const std::optional<IntervalRecord>& summary() const { return m_summary; }
    // A finished session of the run: its intervals [first, end), its summary, and the info() it ran
    // with (engine, transport, peer, ...), kept as they were when it ended.
    struct Segment {
        std::size_t first = 0, end = 0;
        IntervalRecord summary;
        std::map<std::string, std::string> info;
    };
    const std::vector<Segment>& segments() const { return m_segments; }
    std::size_t window_intervals() const { return m_window_size; }
    // With bursts (burst > 1): the first round trip of each tick and the others, apart. Empty otherwise.
    const Histogram& window_first() const { return m_window_first; }
    const Histogram& window_rest() const { return m_window_rest; }
    const Histogram& whole_first() const { return m_whole_first; }
    const Histogram& whole_rest() const { return m_whole_rest; }
    bool empty() const { return m_intervals.empty(); }

    // Each interval's histograms compressed (hdr_codec.h; "" where the record had none), index for
    // index with intervals(): what an interval log export (hlog_run.h) writes. A few hundred bytes
    // an interval, where the histograms themselves would take 35 KiB.
    struct EncodedHistograms {
        std::string all, first, rest;
    };
    const std::vector<EncodedHistograms>& encoded_histograms() const { return m_encoded; }

    // Every change stamped into the intervals, in order.
    std::vector<ParamChange> changes() const;

    // For loaders: replaces the whole-run histogram (interval records loaded without one).
    void set_whole_run(const Histogram& h) { m_whole = h; }
    void set_summary(const IntervalRecord& s) { m_summary = s; }

private:
    std::string m_name;
    std::map<std::string, std::string> m_info;
    std::vector<IntervalRecord> m_intervals; // rtt_ns reset: statistics only
    std::vector<EncodedHistograms> m_encoded;
    struct Recent {
        std::shared_ptr<const Histogram> all, first, rest;
    };
    std::deque<Recent> m_recent;
    std::size_t m_window_size;
    Histogram m_window;
    Histogram m_whole;
    Histogram m_window_first, m_window_rest, m_whole_first, m_whole_rest;
    std::optional<IntervalRecord> m_summary;
    std::vector<Segment> m_segments;
};

} // namespace le
