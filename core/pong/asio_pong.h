#pragma once

#include "asio_tasks.h"
#include "pong_base.h"

#include <asio/any_io_executor.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/datagram_protocol.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace le {

// Asio pong. With one thread (the asio engine) every endpoint, connection and compute task runs on
// one io_context thread. With more (asio-pool) the same io_context is run by all of them: each
// connection and each UDP endpoint has its own strand, so its handlers never run concurrently,
// while different connections and the compute tasks spread over the threads.
class AsioPong final : public PongBase {
public:
    explicit AsioPong(const PongConfig& config, int threads = 1);
    ~AsioPong() override;

    void stop() override;

    // asio-pool's thread count: one per core, at least 2 (one would be the asio engine).
    static int pool_threads();

private:
    using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
    using DatagramSocket = asio::generic::datagram_protocol::socket;
    struct Datagrams;

    // The executor for a new connection or endpoint: a strand of its own in a pool, the
    // io_context itself on one thread (where a strand would only cost).
    asio::any_io_executor new_executor();
    // `residence`: the TCP listener's recorder (null: not measured).
    void accept(Acceptor& acceptor, ResidenceRecorder* residence);
    void receive(Datagrams& d);
    void receive_stamped(Datagrams& d);
    void release(Datagrams& d);

    const int m_thread_count;
    asio::io_context m_io;
    std::vector<std::unique_ptr<Acceptor>> m_acceptors;
    std::vector<ResidenceRecorder*> m_acceptor_residence; // per acceptor, null: not measured
    std::vector<std::unique_ptr<Datagrams>> m_datagrams;
    std::mutex m_connections_mutex; // acceptors of several endpoints may run at once in a pool
    std::vector<std::weak_ptr<asio::generic::stream_protocol::socket>> m_connections;
    AsioTasks m_tasks; // spread over the pool: each task on its own strand
    std::vector<std::thread> m_threads;
    std::atomic<bool> m_stopped{false};
};

// The same code compiled again on Asio's io_uring backend (the asio-uring engine; see
// core/CMakeLists.txt, which builds that copy with names of its own): an AsioPong with one thread.
std::unique_ptr<PongServer> make_asio_uring_pong(const PongConfig& config);

} // namespace le
