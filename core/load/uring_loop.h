#pragma once

#include "clock.h"

#include <liburing.h>

#include <cstdint>

namespace le {

// What one kind of completion does. The user_data of every SQE the loop hands out points at one of
// these, so a completion costs a virtual call and nothing is allocated per operation.
class UringOp {
public:
    // `res` and `flags` of the CQE (res < 0 is -errno).
    virtual void complete(int res, unsigned flags) = 0;

protected:
    ~UringOp() = default;
};

// A member function of T as a UringOp, for the engines' fixed set of operations.
template <class T, void (T::*F)(int, unsigned)> class BoundOp final : public UringOp {
public:
    explicit BoundOp(T& owner)
        : m_owner(owner) {}
    void complete(int res, unsigned flags) override { (m_owner.*F)(res, flags); }

private:
    T& m_owner;
};

// One io_uring and the thread that drives it (the uring engines' event loop). Everything but wake()
// is for that one thread (or for the constructing thread before that thread starts). With `sqpoll`
// a kernel thread polls the submission queue (IORING_SETUP_SQPOLL): submitting costs no system call,
// and that thread spins a core while there is work, and for kSqIdleMs after.
class UringLoop {
public:
    // Throws std::runtime_error saying why when the kernel refuses the ring (no io_uring, or
    // io_uring disabled by kernel.io_uring_disabled, or out of locked memory).
    explicit UringLoop(bool sqpoll);
    ~UringLoop();
    UringLoop(const UringLoop&) = delete;
    UringLoop& operator=(const UringLoop&) = delete;

    // An SQE whose completion goes to `op` (liburing 2.3's prep functions leave user_data alone);
    // submits the queue first when it is full.
    io_uring_sqe* sqe(UringOp& op);
    // An absolute CLOCK_MONOTONIC timeout at `at` (the clock of now_ns()) completing to `op` with
    // -ETIME. `ts` must live until the completion (SQPOLL reads it from the kernel thread).
    void timeout_at(UringOp& op, __kernel_timespec& ts, Nanos at);
    // Submits what is queued, waits for at least one completion and runs the handlers of every
    // completion there is. A handler may queue new operations.
    void run_once();
    // Any thread: makes run_once() return soon, running `on_wake` (set before the loop runs) on
    // the loop's thread.
    void wake() noexcept;
    void set_wake_handler(UringOp* on_wake) { m_on_wake = on_wake; }
    // Tears the ring down: the kernel cancels what is pending, no handler runs any more. The
    // owner calls it before freeing the buffers and operations the ring may still reference.
    // Idempotent; the destructor calls it.
    void close() noexcept;
    // Provided-buffer rings need the ring itself.
    io_uring& ring() { return m_ring; }

    static constexpr unsigned kSqIdleMs = 1000;

private:
    void arm_wake();
    void woken(int res, unsigned flags);

    io_uring m_ring{};
    bool m_open = false;
    int m_event_fd = -1;
    std::uint64_t m_event_value = 0;
    BoundOp<UringLoop, &UringLoop::woken> m_wake_op{*this};
    UringOp* m_on_wake = nullptr;
};

} // namespace le
