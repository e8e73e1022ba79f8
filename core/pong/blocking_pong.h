#pragma once

#include "impairments.h"
#include "live_params.h"
#include "pong_server.h"
#include "socket.h"
#include "thread_tasks.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace le {

// Blocking pong: an accept thread per stream endpoint and a thread per connection, one thread per
// datagram endpoint; compute tasks are OS threads.
class BlockingPong final : public PongServer {
public:
    explicit BlockingPong(const PongConfig& config);
    ~BlockingPong() override;

    const std::vector<Endpoint>& endpoints() const override { return m_endpoints; }
    const PongStats& stats() const override { return m_stats; }
    void stop() override;
    void set_impairments(Nanos delay, Nanos jitter, double loss_percent) override {
        m_impairments.set({delay, jitter, loss_percent});
    }

private:
    struct Connection {
        Fd fd;
        std::thread thread;
        std::atomic<bool> done{false};
    };

    void accept_loop(int listen_fd);
    void serve_stream(int fd);
    bool serve_stream_delayed(int fd, DelayLine& line);
    void serve_datagrams(int fd);
    void serve_datagrams_delayed(int fd, DelayLine& line, std::vector<std::byte>& spare);
    void reap_finished();

    PongConfig m_config;
    LiveParams m_params;
    PongStats m_stats;
    Impairments m_impairments;
    std::vector<Endpoint> m_endpoints;
    std::vector<Fd> m_listeners;
    std::unique_ptr<ThreadTasks> m_tasks;
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
    std::mutex m_connections_mutex;
    std::vector<std::unique_ptr<Connection>> m_connections;
};

} // namespace le
