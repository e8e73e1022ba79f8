#pragma once

#include "live_params.h"
#include "uring_loop.h"

#include <memory>
#include <vector>

namespace le {

// Compute tasks as completions on a uring engine's ring: task i is an absolute timeout that fires
// every task_period; its completion runs task_work of CPU work on the loop's thread, delaying the
// I/O completions behind it, exactly as asio's handlers do. Loop thread only (or before it runs).
// Retired tasks keep their object (and their pending timeout, which then does nothing), so the
// ring never completes to freed memory and a task count going up and down allocates only new highs.
class UringTasks {
public:
    UringTasks(UringLoop& loop, const LiveParams& params);
    UringTasks(const UringTasks&) = delete;
    UringTasks& operator=(const UringTasks&) = delete;

    // Arms or retires tasks to match params.tasks.
    void update();
    // No task runs work after this.
    void stop();
    int running() const { return m_active; }

private:
    struct Task final : UringOp {
        explicit Task(UringTasks& o)
            : owner(o) {}
        void complete(int res, unsigned flags) override;
        UringTasks& owner;
        __kernel_timespec ts{};
        Nanos due = 0;
        bool armed = false;
        bool active = false;
    };
    void arm(Task& task, Nanos due);
    void fired(Task& task);

    UringLoop& m_loop;
    const LiveParams& m_params;
    std::vector<std::unique_ptr<Task>> m_tasks;
    int m_active = 0;
    bool m_stopped = false;
};

} // namespace le
