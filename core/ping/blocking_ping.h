#pragma once

#include "thread_ping.h"

#include <atomic>
#include <mutex>
#include <string>

namespace le {

// The blocking engine: the data path on its own thread(s) with blocking calls (one thread in closed
// loop; a sender and a receiver in open loop), compute tasks as OS threads that compete with it for
// the cores. This is what most hand-written ping-pong tools do.
class BlockingPing final : public ThreadPing {
public:
    BlockingPing(PingContext& context, Fd socket);
    ~BlockingPing() override;

    void start() override;

private:
    void closed_loop();
    // Reads the echo of the message whose send call began at `t_send`.
    bool await_echo(std::size_t payload, Nanos t_send);
    void open_loop_sender();
    void open_loop_receiver();
    void fail(std::string error);
    void finish();

    std::atomic<bool> m_sending_done{false};
    std::atomic<bool> m_failed{false};
    std::mutex m_error_mutex;
    std::string m_error;
};

} // namespace le
