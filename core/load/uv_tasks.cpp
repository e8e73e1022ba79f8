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
    const Nanos wait = std::max<Nanos>(0, due - now_ns());
    // libuv counts whole milliseconds from its cached loop time and its poll rounds up: rounded
    // down from a fresh loop time, a task fires at most ~1 ms early and keeps its average period
    // (rounded up, a 1 ms period came out as ~1.3 ms).
    uv_update_time(&m_loop);
    uv_timer_start(&task.timer, &UvTasks::fired, static_cast<std::uint64_t>(wait / kNanosPerMilli), 0);
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
