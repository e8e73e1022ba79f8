#pragma once

#include "clock.h"

#include <cerrno>
#include <cstddef>
#include <string>
#include <sys/socket.h>

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

// Writes all n bytes (MSG_NOSIGNAL: a vanished peer is an error, not a SIGPIPE).
template <class Idle> IoResult send_all(int fd, const std::byte* data, std::size_t n, Idle&& idle) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::send(fd, data + done, n - done, MSG_NOSIGNAL);
        if (r >= 0) {
            done += static_cast<std::size_t>(r);
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

// Reads exactly n bytes from a stream.
template <class Idle> IoResult recv_exact(int fd, std::byte* data, std::size_t n, Idle&& idle) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::recv(fd, data + done, n - done, 0);
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
template <class Idle> IoResult recv_some(int fd, std::byte* data, std::size_t n, Idle&& idle) {
    for (;;) {
        const ssize_t r = ::recv(fd, data, n, 0);
        if (r >= 0)
            return {IoStatus::Ok, static_cast<std::size_t>(r), 0};
        if (errno == EINTR || (detail::timed_out(errno) && idle()))
            continue;
        if (detail::timed_out(errno))
            return {IoStatus::Idle, 0, 0};
        return {IoStatus::Error, 0, errno};
    }
}

// "peer closed the connection", "connection refused by peer (is it listening?)", ...
std::string describe_io_failure(const IoResult& r);
std::string describe_errno(int err);

} // namespace le
