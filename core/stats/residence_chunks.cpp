#include "residence_chunks.h"

#include "units.h"

#include <fmt/format.h>

namespace le {

void ResidenceChunks::push(ResidenceChunk chunk) {
    std::lock_guard lock(m_mutex);
    if (m_chunks.size() >= kMaxChunks)
        m_chunks.pop_front();
    m_chunks.push_back(std::move(chunk));
}

void ResidenceChunks::set_unavailable(std::string why) {
    std::lock_guard lock(m_mutex);
    m_unavailable = std::move(why);
}

std::string ResidenceChunks::take(Nanos end, ResidenceData& out) {
    out.reset();
    std::lock_guard lock(m_mutex);
    if (!m_unavailable.empty())
        return m_unavailable;
    bool any = false;
    while (!m_chunks.empty() && m_chunks.front().end <= end) {
        out.add(m_chunks.front().data);
        m_chunks.pop_front();
        any = true;
    }
    if (any)
        return {};
    return m_period > 0
               ? fmt::format("no residence report ended within this interval (the pong reports every {})",
                             format_duration(m_period))
               : std::string("no residence report ended within this interval");
}

} // namespace le
