#pragma once

// What the pong suites share: byte-exact echo checks over real sockets (streams while still
// sending, datagrams), clients that only send, per-process figures, the engine x transport rows, and
// PongFixture, which starts in-process pongs on fresh endpoints.
#include "endpoint.h"
#include "engine_kind.h"
#include "pong_base.h"
#include "pong_server.h"
#include "sanitizer_build.h"
#include "socket.h"
#include "test_engines.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using le::Endpoint;
using le::EngineKind;
using le::Fd;
using le::Nanos;
using le::Transport;
using Bytes = std::vector<unsigned char>;

inline constexpr Nanos kMs = le::kNanosPerMilli;
inline constexpr Nanos kIoTimeout = 5 * le::kNanosPerSecond; // a healthy echo takes microseconds
inline constexpr std::size_t kKiB = 1024;
inline constexpr std::size_t kMiB = 1024 * kKiB;
inline constexpr int kManyConnections = 1000;
inline constexpr rlim_t kWantedFiles = 4096; // 1000 clients + 1000 server sides in one process, and spare

inline Bytes random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Bytes b(n);
    for (auto& c : b)
        c = static_cast<unsigned char>(rng());
    return b;
}

// Empty when equal, else where the echo went wrong: a failing row says more than "not equal".
inline QString mismatch(const Bytes& sent, const Bytes& got) {
    if (sent == got)
        return {};
    const std::size_t n = std::min(sent.size(), got.size());
    std::size_t i = 0;
    while (i < n && sent[i] == got[i])
        ++i;
    return QStringLiteral("sent %1 bytes, got %2 back, first difference at offset %3")
        .arg(sent.size())
        .arg(got.size())
        .arg(i);
}

inline int poll_ms(Nanos left) {
    return static_cast<int>(std::max<Nanos>(1, left / kMs));
}

// Sends all of `out` while reading the echo back. A stream pong echoes while we still send, so a
// client that sent everything before reading would deadlock once both directions' kernel buffers
// were full (1 MiB does that). Returns what came back; fewer bytes mean EOF, error or deadline.
inline Bytes exchange(int fd, const Bytes& out, Nanos timeout = kIoTimeout) {
    le::set_nonblocking(fd, true);
    Bytes in(out.size());
    std::size_t sent = 0, got = 0;
    const Nanos deadline = le::now_ns() + timeout;
    bool failed = false;
    while (got < out.size() && !failed) {
        const Nanos left = deadline - le::now_ns();
        if (left <= 0)
            break;
        pollfd p{fd, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
        if (::poll(&p, 1, poll_ms(left)) <= 0)
            continue;
        if ((p.revents & POLLOUT) && sent < out.size()) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += static_cast<std::size_t>(n);
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                failed = true;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = ::recv(fd, in.data() + got, in.size() - got, 0);
            if (n > 0)
                got += static_cast<std::size_t>(n);
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                failed = true;
        }
    }
    le::set_nonblocking(fd, false);
    in.resize(got);
    return in;
}

inline bool send_all(int fd, const Bytes& out) {
    std::size_t sent = 0;
    while (sent < out.size()) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Waits for the socket to become readable and reads once: >0 bytes, 0 EOF, -1 error (errno kept),
// -2 nothing within the timeout.
inline ssize_t wait_recv(int fd, unsigned char* buf, std::size_t n, Nanos timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, poll_ms(timeout)) <= 0)
        return -2;
    return ::recv(fd, buf, n, MSG_DONTWAIT);
}

// One datagram out, one back (nullopt: no answer within the timeout). The buffer is one byte larger
// than any UDP payload, so an echo that grew would show.
inline std::optional<Bytes> datagram_echo(int fd, const Bytes& out, Nanos timeout = kIoTimeout) {
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
        return std::nullopt;
    Bytes in(64 * kKiB + 1);
    const ssize_t n = wait_recv(fd, in.data(), in.size(), timeout);
    if (n < 0)
        return std::nullopt;
    in.resize(static_cast<std::size_t>(n));
    return in;
}

// Sends up to `limit` bytes without ever reading, until the kernel buffers are full: non-blocking
// sends until EAGAIN, and no room appearing for `stall`. Returns how much the kernel took.
inline std::size_t push_until_full(int fd, std::size_t limit, Nanos stall = 200 * kMs,
                                   std::size_t chunk_size = 64 * kKiB) {
    const Bytes chunk = random_bytes(chunk_size, 7);
    std::size_t total = 0;
    while (total < limit) {
        const std::size_t n = std::min(chunk.size(), limit - total);
        const ssize_t r = ::send(fd, chunk.data(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            total += static_cast<std::size_t>(r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno != EAGAIN)
            break;
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, poll_ms(stall)) <= 0)
            break; // full: the pong stopped reading
    }
    return total;
}

// Resident set of a process in bytes (0 if unreadable).
inline qint64 vm_rss(qint64 pid) {
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return 0;
}

inline qint64 active_of(const le::PongServer& s) {
    return static_cast<qint64>(s.stats().active.load());
}

// Waits until `s` has accepted `accepted` connections in all and holds none of them any more: the
// connection of the case `what` was taken in and left. Returns why not within `timeoutMs`, or an
// empty string; prints how long it took when that was over a second.
inline QString awaitGone(const le::PongServer& s, std::uint64_t accepted, const char* what, int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    const auto done = [&] { return s.stats().accepted.load() >= accepted && active_of(s) == 0; };
    while (!done() && timer.elapsed() < timeoutMs)
        QTest::qWait(5);
    const qint64 took = timer.elapsed();
    if (took > 1000)
        qInfo("%s: its connection left the pong's books after %lld ms", what, took);
    if (done())
        return {};
    return QStringLiteral("%1: after %2 ms the pong has accepted %3 of %4 connections and holds %5")
        .arg(what)
        .arg(took)
        .arg(s.stats().accepted.load())
        .arg(accepted)
        .arg(active_of(s));
}

inline qint64 refused_of(const le::PongServer& s) {
    return static_cast<qint64>(s.stats().refused.load());
}

inline QString engine_name(EngineKind e) {
    const std::string_view name = le::to_string(e);
    return QString::fromLatin1(name.data(), static_cast<qsizetype>(name.size()));
}

// Every engine (kTestEngines: one per code path under the sanitizers) on every transport. `timed`: for
// assertions on how long an echo takes, without uring-sqpoll: it runs uring's echo code, and its kernel SQ
// thread needs a core of its own, so on a 2-core machine its timing is the machine's (README, engines).
inline void add_rows(bool with_udp, bool timed = false) {
    QTest::addColumn<QString>("engine");
    QTest::addColumn<QString>("transport");
    for (const EngineKind e : kTestEngines)
        for (const char* t : {"tcp", "udp", "unix"}) {
            if (timed && e == EngineKind::UringSqpoll)
                continue;
            if (!with_udp && std::strcmp(t, "udp") == 0)
                continue;
            QTest::addRow("%s/%s", qPrintable(engine_name(e)), t) << engine_name(e) << QString::fromLatin1(t);
        }
}

// One 64-byte echo on a connected socket: its round-trip time, or -1 when it did not come back
// whole within a second.
inline Nanos echo_rtt(int fd, Transport t, std::uint64_t seed) {
    const Bytes out = random_bytes(64, seed);
    const Nanos t0 = le::now_ns();
    if (t == Transport::Udp) {
        const auto got = datagram_echo(fd, out, le::kNanosPerSecond);
        if (!got || *got != out)
            return -1;
    } else if (exchange(fd, out, le::kNanosPerSecond) != out) {
        return -1;
    }
    return le::now_ns() - t0;
}

inline double as_ms(Nanos ns) {
    return static_cast<double>(ns) / 1e6;
}

// In-process pongs on fresh endpoints (Unix sockets in a temporary folder), for the suites to derive from.
class PongFixture : public QObject {
protected:
    QTemporaryDir m_dir;
    int m_socketCount = 0;

    Endpoint endpointFor(Transport t) {
        Endpoint ep;
        ep.transport = t;
        if (t == Transport::Unix)
            ep.path = QStringLiteral("%1/pong-%2.sock").arg(m_dir.path()).arg(++m_socketCount).toStdString();
        else
            ep.host = "127.0.0.1";
        return ep;
    }

    std::unique_ptr<le::PongServer> startPong(const QString& engine, const QString& transport,
                                              int max_connections = 1024) {
        le::PongConfig c;
        c.engine = le::parse_engine(engine.toStdString());
        c.listen.push_back(endpointFor(le::parse_transport(transport.toStdString())));
        c.max_connections = max_connections;
        return le::start_pong(c);
    }

    std::unique_ptr<le::PongServer> startImpaired(const QString& engine, const QString& transport,
                                                  Nanos delay, Nanos jitter, double loss_percent) {
        le::PongConfig c;
        c.engine = le::parse_engine(engine.toStdString());
        c.listen.push_back(endpointFor(le::parse_transport(transport.toStdString())));
        c.delay = delay;
        c.jitter = jitter;
        c.loss_percent = loss_percent;
        return le::start_pong(c);
    }

    static Fd connectTo(const Endpoint& ep) { return le::connect_to(ep, 2 * le::kNanosPerSecond); }

    // A new client gets a small and a large echo, byte-identical: the pong is still fine.
    static bool freshClientEchoes(const Endpoint& ep, QString* why) {
        Fd c = connectTo(ep);
        const std::size_t large = ep.transport == Transport::Udp ? le::kMaxUdpPayload : 64 * kKiB;
        for (const std::size_t size : {std::size_t{8}, large}) {
            const Bytes out = random_bytes(size, size);
            Bytes got;
            if (ep.transport == Transport::Udp) {
                const auto reply = datagram_echo(c.get(), out);
                if (!reply) {
                    *why = QStringLiteral("no datagram echo of %1 bytes").arg(size);
                    return false;
                }
                got = *reply;
            } else {
                got = exchange(c.get(), out);
            }
            if (got != out) {
                *why = mismatch(out, got);
                return false;
            }
        }
        return true;
    }
};
