#pragma once

#include "impairments.h"
#include "live_params.h"
#include "pong_residence.h"
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
    const std::string& residence_unavailable() const final { return m_residence_unavailable; }
    const ResidenceData& take_residence() final { return m_residence.take(); }

protected:
    // Takes the configuration as validated by start_pong(); binds nothing yet.
    explicit PongBase(const PongConfig& config);

    // Binds every endpoint of the configuration, in order, and records each in m_endpoints as
    // bound (port 0 replaced by the real port; a Unix endpoint keeps its path). Returns the bound
    // sockets in the same order, so m_endpoints[i] says what the i-th one is. Throws
    // std::runtime_error naming the endpoint that could not be bound.
    std::vector<Fd> bind_endpoints();
    // The recorder a serving thread (or strand) of the UDP socket or TCP listener `fd` measures into,
    // with config.measure_residence, when every endpoint is UDP or TCP (every engine measures both;
    // Unix streams not: the kernel stamps nothing there):
    // RX stamps are switched on for `fd`. Null otherwise, with residence_unavailable() saying why.
    // Call in the constructor (before any thread reads residence_unavailable()), once per UDP socket
    // or TCP listener, before serving it. Only one thread at a time may write into it.
    ResidenceRecorder* residence_for(int fd);
    // A connection accepted from a listener whose residence_for() was `listener` (null: not
    // measured, an empty lease): switches RX stamps on for `fd` and returns where its reads measure
    // into. `own`: the connection's handlers may run while another's do (a thread of its own, a
    // pool), so a recorder of its own, given back when the lease ends (its records stay for the
    // take); otherwise `listener` itself (one serving thread). The lease must end before the pong
    // is destroyed.
    ResidenceLease residence_for_connection(int fd, ResidenceRecorder* listener, bool own);
    // Removes the socket files of the Unix endpoints; for stop(), once their sockets are closed.
    void remove_socket_files() const;

    PongConfig m_config;
    LiveParams m_params;
    PongStats m_stats;
    Impairments m_impairments;
    std::vector<Endpoint> m_endpoints;

private:
    ResidenceBook m_residence;
    std::string m_residence_unavailable;
};

} // namespace le
