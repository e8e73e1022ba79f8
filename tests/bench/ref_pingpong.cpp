// Reference ping-pong: the plainest blocking-socket loop, so that bench_pingpong can state
// latency-ping's figures as ratios against something measured on the same machine in the same run.
//   ref_pingpong server tcp|udp PORT
//   ref_pingpong client tcp|udp HOST PORT PAYLOAD SECONDS
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

void setNoDelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        die("TCP_NODELAY");
}

bool sendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        // MSG_NOSIGNAL: a client that goes away must not kill the server with SIGPIPE.
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
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
    std::printf("listening %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    std::vector<char> buf(65536);
    for (;;) {
        if (type == SOCK_DGRAM) {
            sockaddr_storage peer{};
            socklen_t plen = sizeof peer;
            ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &plen);
            if (n >= 0)
                sendto(fd, buf.data(), size_t(n), 0, reinterpret_cast<sockaddr*>(&peer), plen);
            continue;
        }
        int c = accept(fd, nullptr, nullptr);
        if (c < 0)
            continue;
        setNoDelay(c);
        // A stream echo needs no framing: whatever arrives goes straight back.
        ssize_t n;
        while ((n = recv(c, buf.data(), buf.size(), 0)) > 0 && sendAll(c, buf.data(), size_t(n))) {
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
    // A lost datagram should cost one timeout, not hang the benchmark.
    timeval tv{1, 0};
    if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        die("SO_RCVTIMEO");

    std::vector<char> out(payload, 'x'), in(std::max<size_t>(payload, 65536));
    auto roundTrip = [&]() -> bool {
        if (!sendAll(fd, out.data(), payload))
            die("send");
        for (size_t got = 0; got < payload;) {
            ssize_t r = recv(fd, in.data(), in.size(), 0);
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
                 "usage: %s server tcp|udp PORT\n"
                 "       %s client tcp|udp HOST PORT PAYLOAD SECONDS\n",
                 argv[0], argv[0]);
    return 2;
}
