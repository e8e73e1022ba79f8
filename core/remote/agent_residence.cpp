#include "agent_residence.h"

#include "agent_protocol.h"

#include <fmt/format.h>

namespace le {

std::string residence_unmeasured(const std::string& unavailable) {
    return fmt::format("the agent's endpoint does not measure its residence ({})", unavailable);
}

std::string residence_failure(const AgentError& e, bool& ended) {
    ended = true;
    if (e.code() == agent_code::kBadMessage)
        return "the agent does not report residence";
    if (e.lost())
        return fmt::format("the agent's control connection is gone: {}", e.what());
    ended = false;
    return fmt::format("the agent's residence request failed: {}", e.what());
}

std::string AgentResidenceSource::take(Nanos /*end: the answer's arrival places it*/, ResidenceData& out) {
    out.reset();
    if (!m_ended.empty())
        return m_ended;
    try {
        AgentResidence r = m_client->residence(m_endpoint, m_timeout);
        if (!r.unavailable.empty())
            return m_ended = residence_unmeasured(r.unavailable);
        out = std::move(r.data);
        return {};
    } catch (const AgentError& e) {
        bool ended = false;
        std::string why = residence_failure(e, ended);
        if (ended)
            m_ended = why;
        return why;
    }
}

} // namespace le
