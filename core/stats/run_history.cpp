#include "run_history.h"

#include "hdr_codec.h"

namespace le {

RunHistory::RunHistory(std::string name, std::size_t window_intervals)
    : m_name(std::move(name))
    , m_window_size(std::max<std::size_t>(1, window_intervals)) {}

void RunHistory::add(const IntervalRecord& record) {
    if (record.kind == IntervalRecord::Kind::Summary) {
        m_summary = record;
        m_summary->rtt_ns.reset(); // the whole run is the sum of the intervals, across restarts too
        m_summary->rtt_first_ns.reset();
        m_summary->rtt_rest_ns.reset();
        const std::size_t first = m_segments.empty() ? 0 : m_segments.back().end;
        m_segments.push_back({std::min(first, m_intervals.size()), m_intervals.size(), *m_summary, m_info});
        return;
    }
    EncodedHistograms encoded;
    if (record.rtt_ns) {
        encoded.all = hdr_encode_compressed(*record.rtt_ns);
        if (record.rtt_first_ns && record.rtt_rest_ns) {
            encoded.first = hdr_encode_compressed(*record.rtt_first_ns);
            encoded.rest = hdr_encode_compressed(*record.rtt_rest_ns);
        }
        m_whole.add(*record.rtt_ns);
        if (record.rtt_first_ns && record.rtt_rest_ns) {
            m_whole_first.add(*record.rtt_first_ns);
            m_whole_rest.add(*record.rtt_rest_ns);
        }
        m_recent.push_back({record.rtt_ns, record.rtt_first_ns, record.rtt_rest_ns});
        if (m_recent.size() > m_window_size)
            m_recent.pop_front();
        // Rebuilt rather than subtracted (min and max cannot be subtracted): a few dozen merges of
        // 4k buckets per interval is cheap.
        m_window.reset();
        m_window_first.reset();
        m_window_rest.reset();
        for (const auto& r : m_recent) {
            m_window.add(*r.all);
            if (r.first && r.rest) {
                m_window_first.add(*r.first);
                m_window_rest.add(*r.rest);
            }
        }
    }
    m_encoded.push_back(std::move(encoded));
    m_intervals.push_back(record);
    m_intervals.back().rtt_ns.reset();
    m_intervals.back().rtt_first_ns.reset();
    m_intervals.back().rtt_rest_ns.reset();
}

std::vector<ParamChange> RunHistory::changes() const {
    std::vector<ParamChange> out;
    for (const auto& r : m_intervals)
        out.insert(out.end(), r.changes.begin(), r.changes.end());
    return out;
}

} // namespace le
