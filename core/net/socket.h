#pragma once

#include "clock.h"
#include "endpoint.h"

#include <utility>

namespace le {

// Owns one file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept
        : m_fd(fd) {}
    Fd(Fd&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();

    int get() const noexcept { return m_fd; }
    int release() noexcept { return std::exchange(m_fd, -1); }
    explicit operator bool() const noexcept { return m_fd >= 0; }
    void reset() noexcept;

private:
    int m_fd = -1;
};

// Connected socket to a peer (UDP sockets are connect()ed so send/recv need no address and ICMP
// errors such as "port unreachable" surface as ECONNREFUSED). TCP gets TCP_NODELAY. Throws
// std::runtime_error "cannot connect to URL: reason" when the peer is not reachable within timeout.
Fd connect_to(const Endpoint& peer, Nanos timeout);

// Bound (and for stream transports listening) socket. Throws std::runtime_error naming the URL.
// A unix path is taken over only from a dead socket; remove_socket_file() undoes it.
Fd listen_on(const Endpoint& where, int backlog = 1024);

void remove_socket_file(const Endpoint& where);

// The address a bound socket really has (port 0 becomes the kernel's choice).
Endpoint local_endpoint(int fd, Transport transport);

void set_nodelay(int fd);
// Asks for large socket buffers on a UDP socket (connect_to and listen_on do it): a peer or ping
// that loses the CPU for a few milliseconds at a high rate must not turn that into losses, which
// would be the instrument's, not the network's. The kernel may grant less (net.core.rmem_max).
inline constexpr int kDatagramBufferBytes = 4 * 1024 * 1024;
void enlarge_datagram_buffers(int fd) noexcept;
void set_nonblocking(int fd, bool on);
// Bounds how long a blocking recv waits, so blocking loops can look at their stop flag.
void set_recv_timeout(int fd, Nanos timeout);
void set_send_timeout(int fd, Nanos timeout);
// Bytes the kernel holds for `fd` that nobody has read yet (0 on error). Safe from any thread while
// the descriptor is open: it only asks the kernel, it reads nothing.
std::size_t bytes_waiting(int fd) noexcept;

} // namespace le
