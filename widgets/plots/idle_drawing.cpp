#include "idle_drawing.h"

#include "clock.h"
#include "thread_priority.h"

#include <QCoreApplication>

#include <algorithm>
#include <ctime>

namespace {

constexpr le::Nanos kFirstBackOff = le::kNanosPerSecond;
constexpr le::Nanos kLongestBackOff = 64 * le::kNanosPerSecond;
// Starvation this long ago no longer counts: the next one backs off from kFirstBackOff again.
constexpr le::Nanos kForgiveAfter = 30 * le::kNanosPerSecond;

le::Nanos threadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return le::Nanos(ts.tv_sec) * le::kNanosPerSecond + ts.tv_nsec;
}

// The GUI thread's drawing state: one per process, touched by that thread only.
struct State {
    int depth = 0;
    bool wanted = false;
    bool permitted = true;
    bool idle = false; // the outermost scope switched the thread to SCHED_IDLE
    bool lastSpellIdle = false;
    bool broken = false; // the system refused the way back once: never again
    le::Nanos enteredAt = 0;
    le::Nanos enteredCpu = 0;
    le::Nanos backOff = kFirstBackOff;
    le::Nanos backOffUntil = 0;
    le::Nanos lastStarvedAt = 0;
    std::uint64_t starved = 0;
};

State& state() {
    static State s;
    return s;
}

} // namespace

IdleDrawing::Scope::Scope() {
    State& s = state();
    if (s.depth++ > 0)
        return;
    s.idle = false;
    if (!s.wanted || !s.permitted || s.broken || !available())
        return;
    const le::Nanos now = le::now_ns();
    if (now < s.backOffUntil)
        return;
    s.enteredAt = now;
    s.enteredCpu = threadCpuNs();
    s.idle = le::set_thread_idle_policy(true);
}

IdleDrawing::Scope::~Scope() {
    State& s = state();
    if (--s.depth > 0)
        return;
    s.lastSpellIdle = s.idle;
    if (!s.idle)
        return;
    s.idle = false;
    if (!le::set_thread_idle_policy(false)) {
        // Cannot happen once idle_policy_reversible() said yes, short of a changed limit; the
        // thread then stays idle, and nothing is made idle again.
        s.broken = true;
        return;
    }
    const le::Nanos now = le::now_ns();
    const le::Nanos cpu = threadCpuNs() - s.enteredCpu;
    const le::Nanos waited = (now - s.enteredAt) - cpu;
    if (starved(double(waited) / 1e6, double(cpu) / 1e6)) {
        ++s.starved;
        if (now - s.lastStarvedAt > kForgiveAfter)
            s.backOff = kFirstBackOff;
        s.backOffUntil = now + s.backOff;
        s.backOff = std::min(2 * s.backOff, kLongestBackOff);
        s.lastStarvedAt = now;
    }
}

void IdleDrawing::setWanted(bool wanted) {
    state().wanted = wanted;
}

void IdleDrawing::setPermitted(bool permitted) {
    state().permitted = permitted;
}

bool IdleDrawing::available() {
    return le::idle_policy_reversible();
}

bool IdleDrawing::lastSpellIdle() {
    return state().lastSpellIdle;
}

std::uint64_t IdleDrawing::starvedSpells() {
    return state().starved;
}

bool IdleDrawing::backingOff() {
    return le::now_ns() < state().backOffUntil;
}

QString IdleDrawing::describe() {
    const State& s = state();
    if (!available() || s.broken)
        return QCoreApplication::translate("IdleDrawing", "normal priority, beside the measured threads "
                                                          "(drawing at idle priority needs CAP_SYS_NICE)");
    if (!s.permitted)
        return QCoreApplication::translate("IdleDrawing", "normal priority (idle drawing switched off)");
    if (!s.wanted)
        return QCoreApplication::translate("IdleDrawing", "normal priority (compute tasks or a busy-polling "
                                                          "engine: no idle CPU to draw in)");
    if (backingOff())
        return QCoreApplication::translate("IdleDrawing",
                                           "normal priority for now: starved %n time(s) at idle "
                                           "priority",
                                           nullptr, int(s.starved));
    return QCoreApplication::translate("IdleDrawing", "idle priority (SCHED_IDLE): only while the measured "
                                                      "threads wait");
}
