#include "uring_loop.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace le {
namespace {

constexpr unsigned kEntries = 256;

std::string why_no_ring(int err) {
    if (err == ENOSYS)
        return "this kernel has no io_uring (ENOSYS)";
    if (err == EPERM)
        return "io_uring is disabled here (kernel.io_uring_disabled, or a seccomp filter: EPERM)";
    if (err == ENOMEM)
        return "not enough locked memory for an io_uring (raise RLIMIT_MEMLOCK)";
    return fmt::format("io_uring_queue_init failed: {}", std::strerror(err));
}

} // namespace

UringLoop::UringLoop(bool sqpoll) {
    io_uring_params params{};
    if (sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = kSqIdleMs;
    }
    if (const int r = io_uring_queue_init_params(kEntries, &m_ring, &params); r < 0)
        throw std::runtime_error(why_no_ring(-r));
    m_open = true;
    m_event_fd = eventfd(0, EFD_CLOEXEC);
    if (m_event_fd < 0) {
        const int err = errno;
        close();
        throw std::runtime_error(fmt::format("eventfd: {}", std::strerror(err)));
    }
    arm_wake();
}

UringLoop::~UringLoop() {
    close();
}

void UringLoop::close() noexcept {
    if (m_open) {
        io_uring_queue_exit(&m_ring);
        m_open = false;
    }
    if (m_event_fd >= 0) {
        ::close(m_event_fd);
        m_event_fd = -1;
    }
}

io_uring_sqe* UringLoop::sqe(UringOp& op) {
    io_uring_sqe* s = io_uring_get_sqe(&m_ring);
    while (s == nullptr) {
        io_uring_submit(&m_ring);
        s = io_uring_get_sqe(&m_ring);
    }
    io_uring_sqe_set_data(s, &op);
    return s;
}

void UringLoop::timeout_at(UringOp& op, __kernel_timespec& ts, Nanos at) {
    ts.tv_sec = at / kNanosPerSecond;
    ts.tv_nsec = at % kNanosPerSecond;
    io_uring_sqe* s = sqe(op);
    io_uring_prep_timeout(s, &ts, 0, IORING_TIMEOUT_ABS);
}

void UringLoop::run_once() {
    const int r = io_uring_submit_and_wait(&m_ring, 1);
    if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && r != -ETIME)
        throw std::runtime_error(fmt::format("io_uring_enter: {}", std::strerror(-r)));
    io_uring_cqe* cqe = nullptr;
    // One completion at a time: a handler may queue operations (and submit, when the SQ is full)
    // without disturbing the walk.
    while (io_uring_peek_cqe(&m_ring, &cqe) == 0) {
        auto* op = static_cast<UringOp*>(io_uring_cqe_get_data(cqe));
        const int res = cqe->res;
        const unsigned flags = cqe->flags;
        io_uring_cqe_seen(&m_ring, cqe);
        if (op)
            op->complete(res, flags);
    }
}

void UringLoop::wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_event_fd, &one, sizeof(one));
}

void UringLoop::arm_wake() {
    io_uring_sqe* s = sqe(m_wake_op);
    io_uring_prep_read(s, m_event_fd, &m_event_value, sizeof(m_event_value), 0);
}

void UringLoop::woken(int, unsigned) {
    arm_wake();
    if (m_on_wake)
        m_on_wake->complete(0, 0);
}

} // namespace le
