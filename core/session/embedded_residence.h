#pragma once

#include "pong_server.h"
#include "residence_source.h"

namespace le {

// The in-process pong as a ResidenceSource: its residence is swapped out (PhasedBuffers) at the
// very boundary the ping's data is cut at, so the alignment is exact up to a request in flight at
// the boundary. The pong outlives this source (both belong to the PingSession).
class EmbeddedResidence final : public ResidenceSource {
public:
    explicit EmbeddedResidence(PongServer& pong)
        : m_pong(pong) {}

    std::string take(Nanos /*end*/, ResidenceData& out) override {
        if (const std::string& why = m_pong.residence_unavailable(); !why.empty()) {
            out.reset();
            return why;
        }
        out = m_pong.take_residence(); // the swap never blocks the pong's serving threads for long
        return {};
    }

private:
    PongServer& m_pong;
};

} // namespace le
