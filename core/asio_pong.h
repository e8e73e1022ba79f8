#pragma once

#include "asio_tasks.h"
#include "live_params.h"
#include "pong_server.h"

#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/datagram_protocol.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace le {

// Asio pong: every endpoint, connection and compute task on one io_context thread.
class AsioPong final : public PongServer {
public:
    explicit AsioPong(const PongConfig& config);
    ~AsioPong() override;

    const std::vector<Endpoint>& endpoints() const override { return m_endpoints; }
    const PongStats& stats() const override { return m_stats; }
    void stop() override;

private:
    using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
    using DatagramSocket = asio::generic::datagram_protocol::socket;
    struct Datagrams;

    void accept(Acceptor& acceptor);
    void receive(Datagrams& d);

    PongConfig m_config;
    LiveParams m_params;
    PongStats m_stats;
    asio::io_context m_io;
    std::vector<Endpoint> m_endpoints;
    std::vector<std::unique_ptr<Acceptor>> m_acceptors;
    std::vector<std::unique_ptr<Datagrams>> m_datagrams;
    std::vector<std::weak_ptr<asio::generic::stream_protocol::socket>> m_connections; // io thread only
    AsioTasks m_tasks;
    std::thread m_thread;
    std::atomic<bool> m_stopped{false};
};

} // namespace le
