#include "socket.h"

#include <fmt/format.h>

#include <memory>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace le {
namespace {

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoPtr resolve(const Endpoint& ep, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = ep.transport == Transport::Udp ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* result = nullptr;
    const std::string port = std::to_string(ep.port);
    const int rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0)
        throw std::runtime_error(fmt::format("cannot resolve '{}': {}", ep.host, gai_strerror(rc)));
    return AddrInfoPtr(result);
}

sockaddr_un unix_address(const Endpoint& ep) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof(addr.sun_path))
        throw std::runtime_error(fmt::format("unix socket path too long: {}", ep.path));
    std::memcpy(addr.sun_path, ep.path.data(), ep.path.size());
    return addr;
}

std::string errno_text(int err) {
    return std::strerror(err);
}

// Non-blocking connect bounded by timeout; returns 0 or an errno value.
int connect_with_timeout(int fd, const sockaddr* addr, socklen_t len, Nanos timeout) {
    set_nonblocking(fd, true);
    int err = 0;
    if (::connect(fd, addr, len) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            const int ms = static_cast<int>(timeout / kNanosPerMilli);
            int rc;
            do
                rc = ::poll(&p, 1, ms);
            while (rc < 0 && errno == EINTR);
            if (rc == 0)
                return ETIMEDOUT;
            socklen_t elen = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
        }
    }
    set_nonblocking(fd, false);
    return err;
}

// A socket file left by a killed peer would make bind() fail; remove it, but only when it is a
// socket nobody listens on. Anything else at that path is the user's and is refused.
void remove_stale_socket(const Endpoint& where) {
    struct stat st {};
    if (::lstat(where.path.c_str(), &st) != 0)
        return;
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error(
            fmt::format("cannot listen on {}: the path exists and is not a socket", where.url()));
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_un addr = unix_address(where);
    if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0)
        throw std::runtime_error(
            fmt::format("cannot listen on {}: another process is listening there", where.url()));
    ::unlink(where.path.c_str());
}

} // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        reset();
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

Fd::~Fd() {
    reset();
}

void Fd::reset() noexcept {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void enlarge_datagram_buffers(int fd) noexcept {
    // The kernel caps the request at net.core.rmem_max / wmem_max (4 MiB on many systems; 208 KiB by
    // default, which holds ~200 small datagrams: 2 ms of a 100k msg/s stream).
    const int bytes = kDatagramBufferBytes;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

void set_nodelay(int fd) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void set_nonblocking(int fd, bool on) {
    const int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

static void set_timeout(int fd, int opt, Nanos timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout / kNanosPerSecond);
    tv.tv_usec = static_cast<suseconds_t>((timeout % kNanosPerSecond) / kNanosPerMicro);
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

void set_recv_timeout(int fd, Nanos timeout) {
    set_timeout(fd, SO_RCVTIMEO, timeout);
}
void set_send_timeout(int fd, Nanos timeout) {
    set_timeout(fd, SO_SNDTIMEO, timeout);
}

std::size_t bytes_waiting(int fd) noexcept {
    int n = 0;
    return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

Fd connect_to(const Endpoint& peer, Nanos timeout) {
    const auto fail = [&](const std::string& why) {
        return std::runtime_error(fmt::format("cannot connect to {}: {}", peer.url(), why));
    };
    if (peer.transport == Transport::Unix) {
        Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd)
            throw fail(errno_text(errno));
        const sockaddr_un addr = unix_address(peer);
        if (const int err = connect_with_timeout(fd.get(), reinterpret_cast<const sockaddr*>(&addr),
                                                 sizeof(addr), timeout))
            throw fail(errno_text(err));
        return fd;
    }
    AddrInfoPtr ai;
    try {
        ai = resolve(peer, false);
    } catch (const std::runtime_error& e) {
        throw fail(e.what());
    }
    int last_err = 0;
    for (addrinfo* a = ai.get(); a; a = a->ai_next) {
        Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (!fd) {
            last_err = errno;
            continue;
        }
        if (const int err = connect_with_timeout(fd.get(), a->ai_addr, a->ai_addrlen, timeout)) {
            last_err = err;
            continue;
        }
        if (peer.transport == Transport::Tcp)
            set_nodelay(fd.get());
        else
            enlarge_datagram_buffers(fd.get());
        return fd;
    }
    throw fail(last_err == ETIMEDOUT ? fmt::format("no answer within {} ms", timeout / kNanosPerMilli)
                                     : errno_text(last_err));
}

Fd listen_on(const Endpoint& where, int backlog) {
    const auto fail = [&](const std::string& why) {
        return std::runtime_error(fmt::format("cannot listen on {}: {}", where.url(), why));
    };
    if (where.transport == Transport::Unix) {
        Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd)
            throw fail(errno_text(errno));
        const sockaddr_un addr = unix_address(where);
        remove_stale_socket(where);
        if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
            ::listen(fd.get(), backlog) != 0)
            throw fail(errno_text(errno));
        return fd;
    }
    AddrInfoPtr ai;
    try {
        ai = resolve(where, true);
    } catch (const std::runtime_error& e) {
        throw fail(e.what());
    }
    int last_err = 0;
    for (addrinfo* a = ai.get(); a; a = a->ai_next) {
        Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (!fd) {
            last_err = errno;
            continue;
        }
        const int one = 1;
        setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
            last_err = errno;
            continue;
        }
        if (where.transport == Transport::Tcp && ::listen(fd.get(), backlog) != 0) {
            last_err = errno;
            continue;
        }
        if (where.transport == Transport::Udp)
            enlarge_datagram_buffers(fd.get());
        return fd;
    }
    throw fail(errno_text(last_err));
}

void remove_socket_file(const Endpoint& where) {
    struct stat st {};
    if (where.transport == Transport::Unix && ::lstat(where.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        ::unlink(where.path.c_str());
}

Endpoint local_endpoint(int fd, Transport transport) {
    Endpoint ep;
    ep.transport = transport;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw std::runtime_error(fmt::format("getsockname: {}", errno_text(errno)));
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_UNIX) {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
        ep.path = un->sun_path;
    } else if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
        ep.host = buf;
        ep.port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
        ep.host = buf;
        ep.port = ntohs(in6->sin6_port);
    }
    return ep;
}

} // namespace le
