// Reference ping-pong: the plainest socket loop, so that bench_pingpong can state latency-ping's
// figures as ratios against something measured on the same machine in the same run.
//   ref_pingpong server tcp|udp PORT [spin]
//   ref_pingpong client tcp|udp HOST PORT PAYLOAD SECONDS [spin]
// Without `spin` every call blocks (the reference for the blocking and asio engines). With `spin`
// the data sockets are non-blocking and both sides poll recv/send with MSG_DONTWAIT in a loop that
// never sleeps (the reference for the spin engine, which must not be judged against a sleeper).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

int socketType(const std::string& t) {
    if (t == "tcp")
        return SOCK_STREAM;
    if (t == "udp")
        return SOCK_DGRAM;
    std::fprintf(stderr, "transport must be tcp or udp, not '%s'\n", t.c_str());
    std::exit(2);
}

// Set by the `spin` argument: every data-path call gets MSG_DONTWAIT and EAGAIN means "poll again".
bool g_spin = false;

int ioFlags() {
    return g_spin ? MSG_DONTWAIT : 0;
}

bool retryable(int err) {
    return err == EINTR || (g_spin && (err == EAGAIN || err == EWOULDBLOCK));
}

void setNoDelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        die("TCP_NODELAY");
}

// MSG_DONTWAIT alone would do; O_NONBLOCK as well so that no call on the socket can ever sleep.
void setNonBlocking(int fd) {
    if (g_spin && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        die("O_NONBLOCK");
}

bool sendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        // MSG_NOSIGNAL: a client that goes away must not kill the server with SIGPIPE.
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | ioFlags());
        if (w < 0 && retryable(errno))
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= size_t(w);
    }
    return true;
}

[[noreturn]] void server(int type, int port) {
    int fd = socket(AF_INET, type, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(uint16_t(port));
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0 ||
        (type == SOCK_STREAM && listen(fd, 4) < 0) ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
        die("server socket");
    if (type == SOCK_DGRAM)
        setNonBlocking(fd);
    std::printf("listening %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    std::vector<char> buf(65536);
    for (;;) {
        if (type == SOCK_DGRAM) {
            sockaddr_storage peer{};
            socklen_t plen = sizeof peer;
            ssize_t n =
                recvfrom(fd, buf.data(), buf.size(), ioFlags(), reinterpret_cast<sockaddr*>(&peer), &plen);
            if (n >= 0) // spin: a full send buffer drops the echo, which the client counts as a loss
                sendto(fd, buf.data(), size_t(n), ioFlags(), reinterpret_cast<sockaddr*>(&peer), plen);
            continue;
        }
        // accept blocks even with `spin`: it is outside the measured path (one connection per run).
        int c = accept(fd, nullptr, nullptr);
        if (c < 0)
            continue;
        setNoDelay(c);
        setNonBlocking(c);
        // A stream echo needs no framing: whatever arrives goes straight back.
        for (;;) {
            ssize_t n = recv(c, buf.data(), buf.size(), ioFlags());
            if (n < 0 && retryable(errno))
                continue;
            if (n <= 0 || !sendAll(c, buf.data(), size_t(n)))
                break;
        }
        close(c);
    }
}

int client(int type, const char* host, const char* port, size_t payload, double seconds) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host, port, &hints, &res); rc != 0) {
        std::fprintf(stderr, "%s:%s: %s\n", host, port, gai_strerror(rc));
        return 1;
    }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
    freeaddrinfo(res);
    if (type == SOCK_STREAM)
        setNoDelay(fd);
    setNonBlocking(fd);
    // A lost datagram should cost one timeout, not hang the benchmark (spin: checked while polling).
    constexpr auto kLossTimeout = std::chrono::seconds(1);
    timeval tv{1, 0};
    if (type == SOCK_DGRAM && !g_spin && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        die("SO_RCVTIMEO");

    std::vector<char> out(payload, 'x'), in(std::max<size_t>(payload, 65536));
    auto roundTrip = [&]() -> bool {
        if (!sendAll(fd, out.data(), payload))
            die("send");
        // The clock is read only when a poll comes back empty, so a reply already there costs nothing.
        Clock::time_point giveUp{};
        for (size_t got = 0; got < payload;) {
            ssize_t r = recv(fd, in.data(), in.size(), ioFlags());
            if (r < 0 && g_spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (type == SOCK_DGRAM) {
                    const auto now = Clock::now();
                    if (giveUp == Clock::time_point{})
                        giveUp = now + kLossTimeout;
                    else if (now >= giveUp)
                        return false;
                }
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return false;
            if (r <= 0)
                die("recv");
            got += type == SOCK_DGRAM ? payload : size_t(r);
        }
        return true;
    };

    for (auto warmEnd = Clock::now() + std::chrono::milliseconds(500); Clock::now() < warmEnd;)
        roundTrip();

    // Sized (and so page-faulted) up front for a rate no loopback syscall loop reaches, so the
    // measured loop never allocates; 32-bit nanoseconds keep that affordable for long runs.
    std::vector<uint32_t> samples(size_t(seconds * 500'000) + 1024);
    size_t count = 0;
    const auto start = Clock::now();
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= end)
            break;
        if (!roundTrip())
            continue;
        const auto t1 = Clock::now();
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
        const auto v = uint32_t(std::min<int64_t>(ns, UINT32_MAX));
        if (count < samples.size())
            samples[count] = v;
        else
            samples.push_back(v);
        ++count;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    close(fd);
    if (count == 0) {
        std::fprintf(stderr, "no round trip completed\n");
        return 1;
    }
    const auto mid = samples.begin() + std::ptrdiff_t((count + 1) / 2 - 1); // nearest rank
    std::nth_element(samples.begin(), mid, samples.begin() + std::ptrdiff_t(count));
    std::printf("p50_us=%.3f msg_per_s=%.1f count=%zu\n", *mid / 1000.0, double(count) / elapsed, count);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    // An optional trailing `spin` switches both sides to busy polling.
    if (argc > 1 && std::string(argv[argc - 1]) == "spin" &&
        ((mode == "server" && argc == 5) || (mode == "client" && argc == 8))) {
        g_spin = true;
        --argc;
    }
    if (mode == "server" && argc == 4)
        server(socketType(argv[2]), std::atoi(argv[3]));
    if (mode == "client" && argc == 7) {
        const long payload = std::atol(argv[5]);
        const double seconds = std::strtod(argv[6], nullptr);
        if (payload < 1 || payload > 65507 || !(seconds > 0)) {
            std::fprintf(stderr, "PAYLOAD must be 1..65507 and SECONDS > 0\n");
            return 2;
        }
        return client(socketType(argv[2]), argv[3], argv[4], size_t(payload), seconds);
    }
    std::fprintf(stderr,
                 "usage: %s server tcp|udp PORT [spin]\n"
                 "       %s client tcp|udp HOST PORT PAYLOAD SECONDS [spin]\n",
                 argv[0], argv[0]);
    return 2;
}
