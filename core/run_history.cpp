#include "run_history.h"

namespace le {

RunHistory::RunHistory(std::string name, std::size_t window_intervals)
    : m_name(std::move(name))
    , m_window_size(std::max<std::size_t>(1, window_intervals)) {}

void RunHistory::add(const IntervalRecord& record) {
    if (record.kind == IntervalRecord::Kind::Summary) {
        m_summary = record;
        m_summary->rtt_ns.reset(); // the whole run is the sum of the intervals, across restarts too
        return;
    }
    if (record.rtt_ns) {
        m_whole.add(*record.rtt_ns);
        m_recent.push_back(record.rtt_ns);
        if (m_recent.size() > m_window_size)
            m_recent.pop_front();
        // Rebuilt rather than subtracted: ~10 merges of 4k buckets per interval is cheap.
        m_window.reset();
        for (const auto& h : m_recent)
            m_window.add(*h);
    }
    m_intervals.push_back(record);
    m_intervals.back().rtt_ns.reset();
}

std::vector<ParamChange> RunHistory::changes() const {
    std::vector<ParamChange> out;
    for (const auto& r : m_intervals)
        out.insert(out.end(), r.changes.begin(), r.changes.end());
    return out;
}

} // namespace le
