#pragma once

#include <cstddef>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace le {

// Socket calls for the busy-polling loops (the spin ping and pong), made as plain system calls.
// glibc's recv, send, recvfrom and sendto are thread-cancellation points: in a process with more
// than one thread each call switches asynchronous cancellation on and off around the system call,
// two atomic read-modify-writes on the calling thread's descriptor. A spin loop makes tens of those
// calls per round trip, most of them empty polls, and a minimal single-threaded poller pays none of
// it. Nothing in this project is ever cancelled (std::thread has no cancellation), so the pollers
// skip the cancellation dance. Contract as the libc calls: the byte count, or -1 with errno set.
// (Integer arguments are widened to long: a variadic int leaves a register's upper half undefined.)
inline ssize_t poll_recv(int fd, void* buf, std::size_t n, int flags) noexcept {
    return ::syscall(SYS_recvfrom, long{fd}, buf, n, long{flags}, static_cast<sockaddr*>(nullptr),
                     static_cast<socklen_t*>(nullptr));
}

inline ssize_t poll_send(int fd, const void* buf, std::size_t n, int flags) noexcept {
    return ::syscall(SYS_sendto, long{fd}, buf, n, long{flags}, static_cast<const sockaddr*>(nullptr), 0L);
}

inline ssize_t poll_recvfrom(int fd, void* buf, std::size_t n, int flags, sockaddr* from,
                             socklen_t* from_len) noexcept {
    return ::syscall(SYS_recvfrom, long{fd}, buf, n, long{flags}, from, from_len);
}

inline ssize_t poll_sendto(int fd, const void* buf, std::size_t n, int flags, const sockaddr* to,
                           socklen_t to_len) noexcept {
    return ::syscall(SYS_sendto, long{fd}, buf, n, long{flags}, to, long{to_len});
}

} // namespace le
