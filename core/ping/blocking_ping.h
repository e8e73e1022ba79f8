#pragma once

#include "echo_book.h"
#include "ping_engine.h"
#include "thread_tasks.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace le {

// The blocking engine: the data path on its own thread(s) with blocking calls (one thread in closed
// loop; a sender and a receiver in open loop), compute tasks as OS threads that compete with it for
// the cores. This is what most hand-written ping-pong tools do.
class BlockingPing final : public PingEngine {
public:
    BlockingPing(PingContext& context, Fd socket);
    ~BlockingPing() override;

    void start() override;
    void tasks_changed() override { m_tasks.update(); }
    void join() override;

private:
    void closed_loop();
    bool await_echo(std::size_t payload);
    void open_loop_sender();
    void open_loop_receiver();
    void fail(std::string error);
    void finish();
    bool should_abort() const noexcept { return m_ctx.abort.load(std::memory_order_relaxed); }

    PingContext& m_ctx;
    Fd m_fd;
    const bool m_stream;
    EchoBook m_book;
    ThreadTasks m_tasks;
    std::vector<std::byte> m_tx;
    std::vector<std::byte> m_rx;
    std::thread m_sender;
    std::thread m_receiver;
    std::atomic<bool> m_sending_done{false};
    std::atomic<bool> m_failed{false};
    std::mutex m_error_mutex;
    std::string m_error;
};

} // namespace le
