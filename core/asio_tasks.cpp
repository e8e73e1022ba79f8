#include "asio_tasks.h"

#include "compute_work.h"

namespace le {

AsioTasks::AsioTasks(asio::io_context& io, const LiveParams& params)
    : m_io(io)
    , m_params(params) {}

void AsioTasks::update() {
    if (m_stopped)
        return;
    const int target = m_params.tasks.load();
    for (std::size_t i = static_cast<std::size_t>(target); i < m_timers.size(); ++i)
        m_timers[i]->cancel();
    if (static_cast<int>(m_timers.size()) > target)
        m_timers.resize(static_cast<std::size_t>(target));
    const auto now = Clock::now();
    while (static_cast<int>(m_timers.size()) < target) {
        m_timers.push_back(std::make_unique<asio::steady_timer>(m_io));
        arm(m_timers.size() - 1, now);
    }
    m_running = target;
}

void AsioTasks::stop() {
    m_stopped = true;
    for (auto& t : m_timers)
        t->cancel();
    m_timers.clear();
    m_running = 0;
}

void AsioTasks::arm(std::size_t index, Clock::time_point due) {
    asio::steady_timer& timer = *m_timers[index];
    timer.expires_at(due);
    timer.async_wait([this, index, due, &timer](const std::error_code& ec) {
        if (ec || m_stopped || index >= m_timers.size() || m_timers[index].get() != &timer)
            return;
        ComputeWork::run(ComputeWork::rounds_for(m_params.task_work.load(std::memory_order_relaxed)));
        const auto period = std::chrono::nanoseconds(m_params.task_period.load(std::memory_order_relaxed));
        auto next = due + period;
        if (const auto now = Clock::now(); next < now - period) // overloaded: no backlog of wake-ups
            next = now;
        arm(index, next);
    });
}

} // namespace le
