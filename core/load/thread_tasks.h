#pragma once

#include "live_params.h"

#include <sched.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace le {

// Compute tasks as OS threads (the blocking engine's model): task i wakes every task_period on its
// own schedule, does task_work of real CPU work, and sleeps again. The count follows
// params.tasks live; threads above the count end by themselves. Every task runs at the CPU placement
// and the priority (nice value) of the thread that created this object, whichever thread starts it.
class ThreadTasks {
public:
    // Starts params.tasks threads. Throws ThreadStartError (start_thread.h) when the system refuses
    // one; the threads started by then are stopped and joined first.
    explicit ThreadTasks(const LiveParams& params);
    ~ThreadTasks();
    ThreadTasks(const ThreadTasks&) = delete;
    ThreadTasks& operator=(const ThreadTasks&) = delete;

    // Starts or retires threads to match params.tasks. Control path only. Throws ThreadStartError
    // when the system refuses a thread: the tasks started until then keep running (running() says
    // how many).
    void update();
    void stop();
    int running() const;

private:
    void task_loop(int index);

    const LiveParams& m_params;
    cpu_set_t m_affinity; // of the creating thread: tasks started later, from any thread, keep it
    int m_nice;           // likewise its priority (a task started from the GUI thread stays below it)
    std::atomic<int> m_target{0};
    std::atomic<int> m_released{0}; // tasks with a lower index may work: the gate (see update())
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex; // guards m_threads (control path only)
    std::vector<std::thread> m_threads;
};

} // namespace le
