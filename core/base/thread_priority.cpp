#include "thread_priority.h"

#include <sched.h>
#include <sys/resource.h>

#include <system_error>
#include <thread>

#include <cerrno>

namespace le {

int thread_nice() {
    errno = 0; // -1 is a valid nice value: only errno tells a failure apart
    const int nice = getpriority(PRIO_PROCESS, 0);
    return errno == 0 ? nice : 0;
}

bool set_thread_nice(int nice) {
    // PRIO_PROCESS with id 0 is the calling thread on Linux (its thread id), not the whole process.
    return setpriority(PRIO_PROCESS, 0, nice) == 0;
}

bool set_thread_idle_policy(bool idle) {
    // pid 0 is the calling thread (the syscall is per thread); priority 0 is the only one either
    // policy takes, and the nice value stays as it was.
    const sched_param param{};
    return sched_setscheduler(0, idle ? SCHED_IDLE : SCHED_OTHER, &param) == 0;
}

bool thread_idle_policy() {
    return sched_getscheduler(0) == SCHED_IDLE;
}

bool idle_policy_reversible() {
    static const bool reversible = [] {
        bool back = false;
        try {
            std::thread([&back] {
                back = set_thread_idle_policy(true) && set_thread_idle_policy(false);
            }).join();
        } catch (const std::system_error&) {
            return false; // no thread to try it on (out of threads): not now, nor later
        }
        return back;
    }();
    return reversible;
}

} // namespace le
