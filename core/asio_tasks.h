#pragma once

#include "live_params.h"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <memory>
#include <vector>

namespace le {

// Compute tasks as handlers on an io_context (the asio engines' model): task i is a timer that
// fires every task_period and then runs task_work of CPU work on the io_context's thread, delaying
// whatever I/O completions are queued behind it. Not thread-safe: call on the io_context's thread.
class AsioTasks {
public:
    AsioTasks(asio::io_context& io, const LiveParams& params);
    // Arms or cancels timers to match params.tasks.
    void update();
    void stop();
    int running() const { return m_running; }

private:
    void arm(std::size_t index, Clock::time_point due);

    asio::io_context& m_io;
    const LiveParams& m_params;
    std::vector<std::unique_ptr<asio::steady_timer>> m_timers;
    int m_running = 0;
    bool m_stopped = false;
};

} // namespace le
