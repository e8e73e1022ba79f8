#pragma once

#include <QString>

#include <cstdint>

// Drawing that gives way to what it measures. On a machine where the measured threads use every
// core (2 vCPUs, ping and pong pinned one per CPU), the window's drawing ran on one of their CPUs and
// each millisecond of it took about two from the round trips: at back-to-back rate the window got
// 0.65-0.74x the msg/s of latency-ping alone (bench_window). Drawn under SCHED_IDLE, it runs only
// while the measured threads wait, and any of them that wakes takes the CPU back at once: 0.87-0.93x,
// and 0.94-0.98x of the same window paused (against 0.74-0.79x drawing at normal priority).
//
// Only the drawing runs idle (the redraw tick and the plots' paints, in Scope), never the code that
// starts threads or processes: what the window starts (the pong child, compute tasks) must not
// inherit the idle policy. Drawing goes idle only when
//   - the system lets the GUI thread come back (idle_policy_reversible(): CAP_SYS_NICE, root, or an
//     RLIMIT_NICE of 20), so it is never stuck idle;
//   - the window wants it (setWanted()): a live run of an engine that sleeps while it waits and has
//     no compute tasks (with tasks the measured threads run below the GUI thread on purpose, so the
//     window stays usable at any load);
//   - it was not starved lately: a drawing spell that waited for the CPU longer than 25 ms and more
//     than twice its own CPU time (a busy-polling peer, another program's load) draws at normal
//     priority for a while (1 s, doubling to 64 s while it keeps happening).
// Everything here is for the GUI thread only.
class IdleDrawing {
public:
    // While it lives, the calling (GUI) thread draws idle when it may. Nests: the outermost scope
    // switches. Create none around code that may start a thread or a process.
    class Scope {
    public:
        Scope();
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
    };

    // Whether the window wants its drawing idle now (see above). Off by default.
    static void setWanted(bool wanted);
    // A switch for comparisons (bench_window --normal-drawing): not permitted, drawing stays at normal
    // priority whatever the rest says. Permitted by default.
    static void setPermitted(bool permitted);
    // Whether this process can draw idle at all (idle_policy_reversible(), read once).
    static bool available();
    // Whether the last drawing spell ran idle.
    static bool lastSpellIdle();
    // Drawing spells found starved so far, and whether drawing is held at normal priority for one now.
    static std::uint64_t starvedSpells();
    static bool backingOff();
    // One line for the run's record and the window: how the window drew against the measurement.
    static QString describe();

    // The starvation rule, apart from the clocks: a spell that waited `waited_ms` for the CPU and ran
    // `cpu_ms` on it was starved.
    static bool starved(double waited_ms, double cpu_ms) { return waited_ms > 25 && waited_ms > 2 * cpu_ms; }
};
