#pragma once

#include <exception>
#include <thread>
#include <utility>

namespace le {

// Thread priority (the nice value, per thread on Linux). A program that measures and shows at once
// (the window) runs what it measures below the thread that shows it: compute tasks asking for 20
// cores on 2 then starve each other and the ping, as they would anywhere, but not the GUI thread.

// The nice value the window gives everything it measures in runs with compute tasks (live runs,
// compares, sweeps, its pong child), below its GUI thread at 0.
inline constexpr int kMeasuredNice = 19;

// The calling thread's nice value (-20 highest … 19 lowest).
int thread_nice();

// Sets the calling thread's nice value. Lowering the priority (a higher value) is always allowed;
// raising it needs CAP_SYS_NICE. Returns false when the system refused.
bool set_thread_nice(int nice);

// The idle scheduling policy (SCHED_IDLE) for the calling thread. An idle thread runs only on a CPU
// no other thread wants, and any other thread that wakes there preempts it at once: a window that
// draws so takes the CPU only between the measured round trips, never in their way (issue 14).
// Going idle is always allowed; coming back to SCHED_OTHER needs CAP_SYS_NICE (or an RLIMIT_NICE of
// 20), so a thread must not go idle unless idle_policy_reversible(). The nice value is kept.
// Returns false when the system refused.
bool set_thread_idle_policy(bool idle);
// Whether the calling thread runs under SCHED_IDLE.
bool thread_idle_policy();
// Whether a thread of this process can leave SCHED_IDLE again: tried once, on a scratch thread
// (so the caller never runs idle with no way back), and remembered.
bool idle_policy_reversible();

// Runs f() on a new thread at `nice` (best effort) and waits for it; what f throws is rethrown here.
// Threads that f creates inherit the nice value, so an engine set up inside runs at it while the
// calling thread keeps its own priority.
template <class F> void run_at_nice(int nice, F&& f) {
    std::exception_ptr error;
    std::thread t([&] {
        set_thread_nice(nice);
        try {
            f();
        } catch (...) {
            error = std::current_exception();
        }
    });
    t.join();
    if (error)
        std::rethrow_exception(error);
}

} // namespace le
