#pragma once

#include "live_params.h"

#include <uv.h>

#include <memory>
#include <vector>

namespace le {

// Compute tasks as uv_timer_t on a libuv engine's loop: task i fires every task_period and runs
// task_work of CPU work on the loop's thread, delaying the I/O callbacks behind it. libuv's timers
// count whole milliseconds, so a period under 1 ms comes out as about 1 ms (as it would in any
// libuv program), and a wake-up may come up to 1 ms early; the schedule (due + period) is kept. Loop thread
// only (or before the loop runs). Retired tasks' timers are stopped, not freed, so the count going up and
// down allocates only new highs.
class UvTasks {
public:
    UvTasks(uv_loop_t& loop, const LiveParams& params);
    UvTasks(const UvTasks&) = delete;
    UvTasks& operator=(const UvTasks&) = delete;

    // Starts or stops timers to match params.tasks.
    void update();
    // Stops and closes every timer (their close completes in the loop's next turn); no task runs
    // work after this. Idempotent.
    void stop();
    int running() const { return m_active; }

private:
    struct Task {
        uv_timer_t timer{};
        UvTasks* owner = nullptr;
        Nanos due = 0;
    };
    static void fired(uv_timer_t* timer);
    void arm(Task& task, Nanos due);

    uv_loop_t& m_loop;
    const LiveParams& m_params;
    std::vector<std::unique_ptr<Task>> m_tasks;
    int m_active = 0;
    bool m_stopped = false;
};

} // namespace le
