#include "uv_tasks.h"

#include "compute_work.h"

#include <algorithm>

namespace le {

UvTasks::UvTasks(uv_loop_t& loop, const LiveParams& params)
    : m_loop(loop)
    , m_params(params) {}

void UvTasks::update() {
    if (m_stopped)
        return;
    const int target = std::max(0, m_params.tasks.load());
    while (static_cast<int>(m_tasks.size()) < target) {
        auto task = std::make_unique<Task>();
        task->owner = this;
        uv_timer_init(&m_loop, &task->timer);
        task->timer.data = task.get();
        m_tasks.push_back(std::move(task));
    }
    uv_update_time(&m_loop); // once per update, not per task (arm())
    const Nanos now = now_ns();
    for (int i = 0; i < static_cast<int>(m_tasks.size()); ++i) {
        Task& t = *m_tasks[static_cast<std::size_t>(i)];
        const bool running = uv_is_active(reinterpret_cast<uv_handle_t*>(&t.timer)) != 0;
        if (i < target && !running)
            arm(t, now);
        else if (i >= target && running)
            uv_timer_stop(&t.timer);
    }
    m_active = target;
}

void UvTasks::stop() {
    if (m_stopped)
        return;
    m_stopped = true;
    m_active = 0;
    for (auto& t : m_tasks)
        uv_close(reinterpret_cast<uv_handle_t*>(&t->timer), nullptr);
}

void UvTasks::arm(Task& task, Nanos due) {
    task.due = due;
    // libuv counts whole milliseconds from its cached loop time (uv_now, the clock of now_ns()) and
    // its poll rounds up: with the due time rounded down, a task fires at most ~1 ms early and keeps
    // its average period (rounded up, a 1 ms period came out as ~1.3 ms). At least 1 ms after the
    // loop's time, and that time not refreshed here: libuv runs every due timer before it polls for
    // I/O and looks at the heap again after each callback, so a task re-armed at the loop's time,
    // or a loop time moved on by each task, kept the round going under overload and the loop never
    // got to its sockets.
    const auto due_ms = static_cast<std::uint64_t>(std::max<Nanos>(due, 0) / kNanosPerMilli);
    const std::uint64_t now_ms = uv_now(&m_loop);
    uv_timer_start(&task.timer, &UvTasks::fired, due_ms > now_ms ? due_ms - now_ms : 1, 0);
}

void UvTasks::fired(uv_timer_t* timer) {
    Task& task = *static_cast<Task*>(timer->data);
    UvTasks& self = *task.owner;
    if (self.m_stopped)
        return;
    ComputeWork::run(ComputeWork::rounds_for(self.m_params.task_work.load(std::memory_order_relaxed)));
    const Nanos period = self.m_params.task_period.load(std::memory_order_relaxed);
    Nanos next = task.due + period;
    if (const Nanos now = now_ns(); next < now - period) // overloaded: no backlog of wake-ups
        next = now;
    self.arm(task, next);
}

} // namespace le
