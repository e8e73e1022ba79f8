#pragma once

#include "agent_client.h"
#include "residence_source.h"

#include <memory>
#include <string>

namespace le {

// An agent's endpoint as a ResidenceSource (latency-ping --agent --kernel-timestamps): each take()
// asks the agent once for the endpoint's residence since the previous ask (AgentClient::residence),
// a control round trip on the session's collector thread, bounded by `timeout`.
//
// Clocks: the agent runs on another host, so its start_ns/end_ns are never compared with ours; the
// answer is placed at the time it arrives, i.e. it covers the agent's time between two asks, which is
// the ping's interval shifted by the control channel's one-way delays (alignment within a control
// round trip). A failed ask (timeout, lost agent) leaves that interval without the peer's side and
// says why; an agent that does not know the request (error bad-message), an endpoint that does not
// measure, or a lost connection end the peer's side for the rest of the run, the run itself goes on.
// Why endpoint residence is not there, in the words of a record's peer_split_available ("no: " and
// this): from the agent's own `unavailable` (the endpoint does not measure), or from a failed ask.
// `ended` is set when no later ask can succeed (an agent that does not know the request, a lost
// connection, an endpoint that does not measure); the caller then stops asking.
std::string residence_unmeasured(const std::string& unavailable);
std::string residence_failure(const AgentError& e, bool& ended);

class AgentResidenceSource final : public ResidenceSource {
public:
    AgentResidenceSource(std::shared_ptr<AgentClient> client, int endpoint, Nanos timeout)
        : m_client(std::move(client))
        , m_endpoint(endpoint)
        , m_timeout(timeout) {}

    std::string take(Nanos end, ResidenceData& out) override;

private:
    std::shared_ptr<AgentClient> m_client;
    const int m_endpoint;
    const Nanos m_timeout;
    std::string m_ended; // why the peer's side ended for good, once it did
};

} // namespace le
