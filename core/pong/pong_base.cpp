#include "pong_base.h"

#include <stdexcept>

namespace le {

PongBase::PongBase(const PongConfig& config)
    : m_config(config)
    , m_impairments({config.delay, config.jitter, config.loss_percent}) {
    m_params.tasks = config.tasks;
    m_params.task_work = config.task_work;
    m_params.task_period = config.task_period;
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
