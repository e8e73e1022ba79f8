#include "uring_tasks.h"

#include "compute_work.h"

#include <algorithm>

namespace le {

UringTasks::UringTasks(UringLoop& loop, const LiveParams& params)
    : m_loop(loop)
    , m_params(params) {}

void UringTasks::update() {
    if (m_stopped)
        return;
    const int target = std::max(0, m_params.tasks.load());
    while (static_cast<int>(m_tasks.size()) < target)
        m_tasks.push_back(std::make_unique<Task>(*this));
    const Nanos now = now_ns();
    for (int i = 0; i < static_cast<int>(m_tasks.size()); ++i) {
        Task& t = *m_tasks[static_cast<std::size_t>(i)];
        t.active = i < target;
        if (t.active && !t.armed) // one still armed from before its retirement just goes on
            arm(t, now);
    }
    m_active = target;
}

void UringTasks::stop() {
    m_stopped = true;
    m_active = 0;
    for (auto& t : m_tasks)
        t->active = false;
}

void UringTasks::arm(Task& task, Nanos due) {
    task.due = due;
    task.armed = true;
    m_loop.timeout_at(task, task.ts, due);
}

void UringTasks::Task::complete(int, unsigned) {
    armed = false;
    if (active && !owner.m_stopped)
        owner.fired(*this);
}

void UringTasks::fired(Task& task) {
    ComputeWork::run(ComputeWork::rounds_for(m_params.task_work.load(std::memory_order_relaxed)));
    const Nanos period = m_params.task_period.load(std::memory_order_relaxed);
    Nanos next = task.due + period;
    if (const Nanos now = now_ns(); next < now - period) // overloaded: no backlog of wake-ups
        next = now;
    arm(task, next);
}

} // namespace le
