#pragma once

#include "pong_base.h"
#include "stamped_datagrams.h"
#include "thread_tasks.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace le {

// Blocking pong: an accept thread per stream endpoint and a thread per connection, one thread per
// datagram endpoint; compute tasks are OS threads.
class BlockingPong final : public PongBase {
public:
    explicit BlockingPong(const PongConfig& config);
    ~BlockingPong() override;

    void stop() override;

private:
    struct Connection {
        Fd fd;
        ResidenceLease residence; // the connection's own recorder, when measuring
        std::thread thread;
        std::atomic<bool> done{false};
    };

    // `residence`: the TCP listener's recorder (null: not measured); each connection gets its own.
    void accept_loop(int listen_fd, ResidenceRecorder* residence);
    void serve_stream(int fd, ResidenceRecorder* residence);
    bool serve_stream_delayed(int fd, DelayLine& line, ResidenceMeter& meter);
    // `residence`: where the serving thread measures its residence (null: not measured).
    void serve_datagrams(int fd, ResidenceRecorder* residence);
    void serve_datagrams_delayed(int fd, DelayLine& line, StampedDatagrams& single);
    void reap_finished();

    std::vector<Fd> m_listeners; // every endpoint's socket, in the order of m_endpoints
    std::unique_ptr<ThreadTasks> m_tasks;
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
    std::mutex m_connections_mutex;
    std::vector<std::unique_ptr<Connection>> m_connections;
};

} // namespace le
