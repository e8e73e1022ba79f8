#include "asio_tasks.h"

#include "compute_work.h"

#include <asio/dispatch.hpp>
#include <asio/strand.hpp>

#include <algorithm>

namespace le {

// One compute task. Its handlers hold it by shared_ptr, so a task retired while its handler is
// queued (or running on another pool thread) stays alive until that handler has seen `retired`.
struct AsioTasks::Task {
    explicit Task(const asio::any_io_executor& executor)
        : timer(executor) {}
    asio::steady_timer timer; // its handlers run on its executor: the task's own strand in a pool
    bool retired = false;     // touched on the timer's executor only
};

AsioTasks::AsioTasks(asio::io_context& io, const LiveParams& params, int threads)
    : m_io(io)
    , m_params(params)
    , m_pool(threads > 1)
    , m_executor(m_pool ? asio::any_io_executor(asio::make_strand(io))
                        : asio::any_io_executor(io.get_executor())) {}

void AsioTasks::update() {
    // dispatch: inline when called on the executor already (the single-thread engine), else queued.
    asio::dispatch(m_executor, [this] {
        if (m_stopped.load(std::memory_order_relaxed))
            return;
        const auto target = static_cast<std::size_t>(std::max(0, m_params.tasks.load()));
        while (m_tasks.size() > target) {
            retire(std::move(m_tasks.back()));
            m_tasks.pop_back();
        }
        const auto now = Clock::now();
        while (m_tasks.size() < target) {
            auto task = std::make_shared<Task>(m_pool ? asio::any_io_executor(asio::make_strand(m_io))
                                                      : asio::any_io_executor(m_io.get_executor()));
            m_tasks.push_back(task);
            arm(std::move(task), now); // a new task has no handler yet, so no strand hop is needed
        }
        m_running.store(static_cast<int>(target), std::memory_order_relaxed);
    });
}

void AsioTasks::stop() {
    // The flag stops work at once on every thread, even if the io_context is stopped before the
    // cancellations below get to run.
    m_stopped.store(true);
    m_running.store(0, std::memory_order_relaxed);
    asio::dispatch(m_executor, [this] {
        for (auto& task : m_tasks)
            retire(std::move(task));
        m_tasks.clear();
    });
}

void AsioTasks::retire(std::shared_ptr<Task> task) {
    // On the task's executor, so neither the flag nor the timer is touched while its handler runs.
    // The flag covers a handler that is already queued, which cancel() can no longer abort.
    const asio::any_io_executor executor = task->timer.get_executor();
    asio::dispatch(executor, [task = std::move(task)] {
        task->retired = true;
        task->timer.cancel();
    });
}

void AsioTasks::arm(std::shared_ptr<Task> task, Clock::time_point due) {
    asio::steady_timer& timer = task->timer;
    timer.expires_at(due);
    timer.async_wait([this, task = std::move(task), due](const std::error_code& ec) mutable {
        if (ec || task->retired || m_stopped.load(std::memory_order_relaxed))
            return;
        ComputeWork::run(ComputeWork::rounds_for(m_params.task_work.load(std::memory_order_relaxed)));
        const auto period = std::chrono::nanoseconds(m_params.task_period.load(std::memory_order_relaxed));
        auto next = due + period;
        if (const auto now = Clock::now(); next < now - period) // overloaded: no backlog of wake-ups
            next = now;
        arm(std::move(task), next);
    });
}

} // namespace le
