#pragma once

#include "clock.h"
#include "kernel_timestamps.h"

#include <cerrno>
#include <cstddef>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/uio.h>
#include <utility>

namespace le {

// Blocking socket calls for the blocking engines. Sockets carry SO_RCVTIMEO slices, so a call that
// waits gives `idle()` a chance every slice to do housekeeping or to give up (by returning false).
// Templates rather than std::function: nothing is allocated per message.
enum class IoStatus { Ok, Idle, Closed, Error };

struct IoResult {
    IoStatus status = IoStatus::Ok;
    std::size_t bytes = 0;
    int error = 0; // errno for IoStatus::Error
};

inline constexpr auto kNeverIdle = [] { return false; };

namespace detail {
inline bool timed_out(int err) {
    return err == EAGAIN || err == EWOULDBLOCK;
}
} // namespace detail

// For the non-blocking calls of the spin engines: nothing to do right now (EINTR too: the next
// poll turn simply tries again).
inline bool would_block(int err) {
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// Moves the `count` buffers at `iov` past `written` bytes (a partial gathered write): whole buffers
// written (empty ones too) are dropped, a partly written one is shortened in place.
inline void advance_iov(iovec*& iov, std::size_t& count, std::size_t written) noexcept {
    while (count > 0 && written >= iov->iov_len) {
        written -= iov->iov_len;
        ++iov;
        --count;
    }
    if (count > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + written;
        iov->iov_len -= written;
    }
}

// One sendmsg of the `count` buffers at `iov` (flags as for send), MSG_NOSIGNAL added.
inline ssize_t send_iov(int fd, iovec* iov, std::size_t count, int flags) noexcept {
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = count;
    return ::sendmsg(fd, &m, flags | MSG_NOSIGNAL);
}

// Writes every byte of the `count` buffers at `iov`, in order, in as few sendmsg calls as the socket
// allows (a gathered write of many messages); `iov` is advanced in place past what was written.
template <class Idle> IoResult send_all_iov(int fd, iovec* iov, std::size_t count, Idle&& idle) {
    std::size_t done = 0;
    while (count > 0) {
        const ssize_t r = send_iov(fd, iov, count, 0);
        if (r >= 0) {
            done += static_cast<std::size_t>(r);
            advance_iov(iov, count, static_cast<std::size_t>(r));
            continue;
        }
        if (errno == EINTR || (detail::timed_out(errno) && idle()))
            continue;
        if (detail::timed_out(errno))
            return {IoStatus::Idle, done, 0};
        return {IoStatus::Error, done, errno};
    }
    return {IoStatus::Ok, done, 0};
}

// Writes all n bytes (MSG_NOSIGNAL: a vanished peer is an error, not a SIGPIPE).
template <class Idle> IoResult send_all(int fd, const std::byte* data, std::size_t n, Idle&& idle) {
    iovec iov{const_cast<std::byte*>(data), n};
    return send_all_iov(fd, &iov, 1, std::forward<Idle>(idle));
}

// recv(), or with `rx_stamp` recv_stamped() keeping the kernel's RX timestamp there.
inline ssize_t recv_maybe_stamped(int fd, std::byte* data, std::size_t n, std::int64_t* rx_stamp) {
    return rx_stamp ? recv_stamped(fd, data, n, 0, *rx_stamp) : ::recv(fd, data, n, 0);
}

// Reads exactly n bytes from a stream (with `rx_stamp`: the RX timestamp of the last segment read).
template <class Idle>
IoResult recv_exact(int fd, std::byte* data, std::size_t n, Idle&& idle, std::int64_t* rx_stamp = nullptr) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = recv_maybe_stamped(fd, data + done, n - done, rx_stamp);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
            continue;
        }
        if (r == 0)
            return {IoStatus::Closed, done, 0};
        if (errno == EINTR || (detail::timed_out(errno) && idle()))
            continue;
        if (detail::timed_out(errno))
            return {IoStatus::Idle, done, 0};
        return {IoStatus::Error, done, errno};
    }
    return {IoStatus::Ok, done, 0};
}

// Reads one datagram, or whatever a stream has up to n bytes (0 bytes from a stream = closed).
template <class Idle>
IoResult recv_some(int fd, std::byte* data, std::size_t n, Idle&& idle, std::int64_t* rx_stamp = nullptr) {
    for (;;) {
        const ssize_t r = recv_maybe_stamped(fd, data, n, rx_stamp);
        if (r >= 0)
            return {IoStatus::Ok, static_cast<std::size_t>(r), 0};
        if (errno == EINTR || (detail::timed_out(errno) && idle()))
            continue;
        if (detail::timed_out(errno))
            return {IoStatus::Idle, 0, 0};
        return {IoStatus::Error, 0, errno};
    }
}

// Sends n bytes and reads n bytes back at the same time. A large message on a stream cannot be sent
// whole before reading: the peer's echo fills our receive buffer, the peer stops reading, and both
// ends wait on each other (Unix sockets hit it from ~200 KiB). Costs a poll() per step, so callers
// use it only for messages larger than a socket buffer.
template <class Idle>
IoResult exchange_stream(int fd, const std::byte* tx, std::byte* rx, std::size_t n, Idle&& idle) {
    std::size_t sent = 0, got = 0;
    while (got < n) {
        pollfd p{fd, static_cast<short>(POLLIN | (sent < n ? POLLOUT : 0)), 0};
        const int ready = ::poll(&p, 1, 10);
        if (ready < 0 && errno != EINTR)
            return {IoStatus::Error, got, errno};
        if (ready <= 0) {
            if (!idle())
                return {IoStatus::Idle, got, 0};
            continue;
        }
        if (sent < n && (p.revents & POLLOUT)) {
            const ssize_t r = ::send(fd, tx + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (r > 0)
                sent += static_cast<std::size_t>(r);
            else if (r < 0 && !detail::timed_out(errno) && errno != EINTR)
                return {IoStatus::Error, got, errno};
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t r = ::recv(fd, rx + got, n - got, MSG_DONTWAIT);
            if (r == 0)
                return {IoStatus::Closed, got, 0};
            if (r > 0)
                got += static_cast<std::size_t>(r);
            else if (!detail::timed_out(errno) && errno != EINTR)
                return {IoStatus::Error, got, errno};
        }
    }
    return {IoStatus::Ok, got, 0};
}

// Above this, a stream message is exchanged (sent and read at once) rather than sent, then read.
inline constexpr std::size_t kExchangeAbove = 64 * 1024;

// "peer closed the connection", "connection refused by peer (is it listening?)", ...
std::string describe_io_failure(const IoResult& r);
std::string describe_errno(int err);

} // namespace le
