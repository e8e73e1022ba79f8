#include "thread_tasks.h"

#include "compute_work.h"
#include "cpu_affinity.h"
#include "pacer.h"
#include "start_thread.h"
#include "thread_priority.h"

#include <limits>

namespace le {

ThreadTasks::ThreadTasks(const LiveParams& params)
    : m_params(params)
    , m_affinity(current_affinity())
    , m_nice(thread_nice()) {
    try {
        update();
    } catch (...) {
        stop(); // the threads started so far are joined, not left to std::terminate
        throw;
    }
}

ThreadTasks::~ThreadTasks() {
    stop();
}

void ThreadTasks::update() {
    std::lock_guard lock(m_mutex);
    const int target = m_params.tasks.load();
    m_target.store(target);
    // Join threads that retired (index >= target) before reusing their slots.
    if (static_cast<int>(m_threads.size()) > target) {
        for (std::size_t i = static_cast<std::size_t>(target); i < m_threads.size(); ++i)
            if (m_threads[i].joinable())
                m_threads[i].join();
        m_threads.resize(static_cast<std::size_t>(target));
    }
    // The new threads wait at the gate until all of them exist. Working as soon as it starts, each
    // would take the cores from the thread still creating the others: beyond the cores' worth of
    // tasks the creator gets an ever smaller share, and 1000 tasks of 20 us per 1 ms took over a
    // minute to start (the run stayed "starting" all that while).
    struct OpenGate {
        ThreadTasks& tasks;
        ~OpenGate() {
            tasks.m_released.store(tasks.m_target.load());
            tasks.m_released.notify_all();
        }
    } open_gate{*this};
    while (static_cast<int>(m_threads.size()) < target) {
        const int index = static_cast<int>(m_threads.size());
        try {
            m_threads.push_back(
                start_thread("compute task " + std::to_string(index + 1) + " of " + std::to_string(target),
                             [this, index] { task_loop(index); }));
        } catch (const ThreadStartError&) {
            m_target.store(index); // what runs is what there is
            throw;
        }
        apply_affinity(m_threads.back().native_handle(), m_affinity);
    }
}

void ThreadTasks::stop() {
    std::lock_guard lock(m_mutex);
    m_stop.store(true);
    m_released.store(std::numeric_limits<int>::max()); // waiting at the gate: go, and see the stop
    m_released.notify_all();
    for (auto& t : m_threads)
        if (t.joinable())
            t.join();
    m_threads.clear();
}

int ThreadTasks::running() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_threads.size());
}

void ThreadTasks::task_loop(int index) {
    if (thread_nice() != m_nice)
        set_thread_nice(m_nice); // best effort: a thread may always lower its priority
    for (int released = m_released.load(); index >= released; released = m_released.load())
        m_released.wait(released);
    Nanos due = now_ns();
    while (!m_stop.load(std::memory_order_relaxed) && index < m_target.load(std::memory_order_relaxed)) {
        const Nanos period = m_params.task_period.load(std::memory_order_relaxed);
        ComputeWork::run(ComputeWork::rounds_for(m_params.task_work.load(std::memory_order_relaxed)));
        due += period;
        const Nanos now = now_ns();
        if (due < now - period) // overloaded: do not queue up missed wake-ups
            due = now;
        // Plain sleep, in slices so a stop or a retirement is seen quickly (update() joins the
        // retired tasks, and waited out their whole period: 7 s for a task period of 8 s); tasks model
        // ordinary timers, not spinning.
        while (!m_stop.load(std::memory_order_relaxed) && index < m_target.load(std::memory_order_relaxed)) {
            const Nanos left = due - now_ns();
            if (left <= 0)
                break;
            std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<Nanos>(left, 50 * kNanosPerMilli)));
        }
    }
}

} // namespace le
