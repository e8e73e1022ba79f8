#pragma once

#include "pong_base.h"
#include "thread_tasks.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace le {

// Spin pong: one dedicated thread polls every socket non-blocking in a busy loop and never sleeps:
// accepts, one receive (and the echo) per connection per pass, a burst of datagrams per UDP
// endpoint. No wake-up stands between a message and its echo, at the price of one core at 100%
// and a pass that grows with the number of connections (1000 idle ones: about a millisecond).
// The listeners are looked at every few dozen socket polls, and after as many idle polls the core
// is offered to any other runnable thread (see run()): the echo path stays one system call per
// poll, as in a minimal busy-polling echo loop. Compute tasks are OS threads.
//
// Each connection has its own kPongChunk buffer; an echo the client's window does not take stays
// in it, and the connection is not read again until it has gone out (back-pressure), so a client
// that does not read stops only its own echo and memory stays bounded.
class SpinPong final : public PongBase {
public:
    explicit SpinPong(const PongConfig& config);
    ~SpinPong() override;

    void stop() override;

private:
    struct Connection;
    struct Datagrams;

    void run();
    // `residence`: the listener's recorder (null: not measured); its connections share it (one thread).
    void accept_all(int listen_fd, ResidenceRecorder* residence);
    bool serve(Connection& c); // false: the connection is over
    bool serve_delayed(Connection& c);
    void serve(Datagrams& d);
    void serve_single_gro(Datagrams& d);
    void queue_gro(Datagrams& d);
    void gro_off(Datagrams& d);
    // The spin thread is the only writer of the byte count: a plain add, published with a relaxed
    // store, spares the echo path a locked read-modify-write.
    void count_bytes(std::size_t n) noexcept {
        m_stats.bytes.store(m_stats.bytes.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    std::vector<Fd> m_listeners;                          // stream endpoints, non-blocking
    std::vector<ResidenceRecorder*> m_listener_residence; // per listener, null: not measured
    std::vector<std::unique_ptr<Datagrams>> m_datagrams;
    std::vector<std::unique_ptr<Connection>> m_connections; // the spin thread's alone until stop()
    Nanos m_accept_pause_until = 0; // after EMFILE and the like, so the loop does not only accept
    bool m_worked = false;          // this pass moved something (idle passes yield the core)
    std::unique_ptr<ThreadTasks> m_tasks;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

} // namespace le
