#include "pong_base.h"

#include "kernel_timestamps.h"

#include <stdexcept>

namespace le {
PongBase::PongBase(const PongConfig& config)
    : m_config(config)
    , m_impairments({config.delay, config.jitter, config.loss_percent}) {
    m_params.tasks = config.tasks;
    m_params.task_work = config.task_work;
    m_params.task_period = config.task_period;
    if (!config.measure_residence) {
        m_residence_unavailable = "not asked for";
        return;
    }
    for (const Endpoint& ep : config.listen)
        if (ep.transport == Transport::Unix)
            m_residence_unavailable = "unix stream sockets get no kernel timestamps: the pong measures its "
                                      "residence on udp and tcp only";
}

ResidenceRecorder* PongBase::residence_for(int fd) {
    if (!m_residence_unavailable.empty())
        return nullptr;
    if (std::string why = enable_rx_timestamps(fd); !why.empty()) {
        m_residence_unavailable = std::move(why);
        return nullptr;
    }
    return &m_residence.shared();
}

ResidenceLease PongBase::residence_for_connection(int fd, ResidenceRecorder* listener, bool own) {
    if (!listener || !enable_rx_timestamps(fd).empty())
        return {}; // the listener took the same option: a refusal here is not expected
    if (!own)
        return {nullptr, listener};
    return {&m_residence, m_residence.join()};
}

std::vector<Fd> PongBase::bind_endpoints() {
    std::vector<Fd> sockets;
    for (const Endpoint& ep : m_config.listen) {
        Fd fd = listen_on(ep);
        m_endpoints.push_back(local_endpoint(fd.get(), ep.transport));
        if (ep.transport == Transport::Unix)
            m_endpoints.back().path = ep.path;
        sockets.push_back(std::move(fd));
    }
    return sockets;
}

void PongBase::set_impairments(Nanos delay, Nanos jitter, double loss_percent) {
    m_impairments.set({delay, jitter, loss_percent});
}

void PongBase::remove_socket_files() const {
    for (const Endpoint& ep : m_endpoints)
        remove_socket_file(ep);
}

} // namespace le
