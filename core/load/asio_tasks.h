#pragma once

#include "live_params.h"

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <vector>

namespace le {

// Compute tasks as handlers on an io_context (the asio engines' model): task i is a timer that
// fires every task_period and then runs task_work of CPU work on a thread running the io_context,
// delaying whatever I/O completions are queued behind it there.
//
// `threads` is how many threads run the io_context. With one, everything runs on that thread as
// plain handlers. With more, each task's timer has a strand of its own (so its handler never races
// with its own retirement, yet tasks run in parallel on the pool) and the task list is kept on
// another strand. update() and stop() may be called from any thread in both cases. (Told 1 while
// several threads do run the io_context, the tasks still spread over them, but calls to update()
// and stop() must then not overlap.)
class AsioTasks {
public:
    AsioTasks(asio::io_context& io, const LiveParams& params, int threads = 1);
    AsioTasks(const AsioTasks&) = delete;
    AsioTasks& operator=(const AsioTasks&) = delete;

    // Arms or retires timers to match params.tasks.
    void update();
    // No task starts work after this returns; the timers are cancelled on their executors.
    void stop();
    int running() const { return m_running.load(std::memory_order_relaxed); }

private:
    struct Task;
    void arm(std::shared_ptr<Task> task, Clock::time_point due);
    static void retire(std::shared_ptr<Task> task);

    asio::io_context& m_io;
    const LiveParams& m_params;
    const bool m_pool;
    asio::any_io_executor m_executor;           // m_tasks' executor: a strand in a pool, else the io_context
    std::vector<std::shared_ptr<Task>> m_tasks; // on m_executor only
    std::atomic<int> m_running{0};
    std::atomic<bool> m_stopped{false};
};

} // namespace le
