#pragma once

#include <sched.h>
#include <string>
#include <string_view>
#include <vector>

namespace le {

// CPU placement. On a 2-vCPU VM the same blocking TCP ping-pong measures 16 us with both ends on
// one vCPU and 68 us on two, so placement must be explicit and visible in every record.

// "0", "0,2", "1-3", "0,2-3"; throws std::invalid_argument naming the bad part or a CPU this
// machine does not have.
std::vector<int> parse_cpu_list(std::string_view text);
std::string format_cpu_list(const std::vector<int>& cpus); // "" -> "any"

// Pins the calling thread to `cpus` for its lifetime and restores the previous mask after. Threads
// created meanwhile inherit the mask, which is how engines' threads are placed without each engine
// knowing about it. Empty `cpus`: does nothing.
class ScopedAffinity {
public:
    explicit ScopedAffinity(const std::vector<int>& cpus);
    ~ScopedAffinity();
    ScopedAffinity(const ScopedAffinity&) = delete;
    ScopedAffinity& operator=(const ScopedAffinity&) = delete;

private:
    cpu_set_t m_saved{};
    bool m_active = false;
};

// The CPUs thread or process `tid` may run on (0 = the calling thread; a process id reads its main
// thread), read back from the kernel, so a placement made from outside (taskset) shows too: "any"
// only when that is every online CPU, else the list ("1", "0,2-3"); "unknown" when it cannot be read
// (the process is gone, or belongs to someone else).
std::string placement_of(pid_t tid = 0);

// The calling thread's mask, to hand on to threads created later from other threads.
cpu_set_t current_affinity();
void apply_affinity(pthread_t thread, const cpu_set_t& mask);

} // namespace le
