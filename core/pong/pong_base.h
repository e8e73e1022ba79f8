#pragma once

#include "impairments.h"
#include "live_params.h"
#include "pong_server.h"
#include "socket.h"

#include <vector>

namespace le {

// What every pong engine shares: its configuration, the live parameters its compute tasks follow
// (set from the configuration), the counters, the impairments and the endpoints as bound. Each
// engine binds through bind_endpoints(), serves the sockets its own way and calls
// remove_socket_files() last in stop(). Nothing here is on the echo path but the members.
class PongBase : public PongServer {
public:
    const std::vector<Endpoint>& endpoints() const final { return m_endpoints; }
    const PongStats& stats() const final { return m_stats; }
    void set_impairments(Nanos delay, Nanos jitter, double loss_percent) final;

protected:
    // Takes the configuration as validated by start_pong(); binds nothing yet.
    explicit PongBase(const PongConfig& config);

    // Binds every endpoint of the configuration, in order, and records each in m_endpoints as
    // bound (port 0 replaced by the real port; a Unix endpoint keeps its path). Returns the bound
    // sockets in the same order, so m_endpoints[i] says what the i-th one is. Throws
    // std::runtime_error naming the endpoint that could not be bound.
    std::vector<Fd> bind_endpoints();
    // Removes the socket files of the Unix endpoints; for stop(), once their sockets are closed.
    void remove_socket_files() const;

    PongConfig m_config;
    LiveParams m_params;
    PongStats m_stats;
    Impairments m_impairments;
    std::vector<Endpoint> m_endpoints;
};

} // namespace le
