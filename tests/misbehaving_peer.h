#pragma once

#include "socket.h"
#include "wire.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

// An echo peer that misbehaves on purpose, for the ping's accounting under attack: it echoes the
// connection probe as it should, then every `every`-th message (by sequence number) the wrong way.
// Stream messages are told apart by the payload size, which the test fixes. `affected()` counts the
// messages it misbehaved on, so a test can say exactly how many must end lost or as errors.
class MisbehavingPeer {
public:
    enum class Kind {
        Duplicate,      // the echo twice
        Late,           // (datagrams) the echo `late_by` after the message
        Short,          // (datagrams) 4 bytes instead of the echo
        Long,           // the echo with one byte more (a stream: an extra byte, out of step from then on)
        Foreign,        // the echo, then a message of a sequence number never sent
        Corrupt,        // the echo with its sequence number's high byte flipped (never sent)
        Trickle,        // (streams) from the first such message on, one byte of echo per 100 ms
        HalfThenSilent, // (streams) half of that echo, then nothing more (reading on)
        Deaf,           // after the probe, reads and writes nothing (as a stopped process)
        CorruptPayload, // the echo with its last byte flipped (the sequence number intact)
    };

    MisbehavingPeer(le::Transport transport, Kind kind, std::size_t payload, std::uint64_t every = 10,
                    le::Nanos late_by = 0)
        : m_stream(transport != le::Transport::Udp)
        , m_kind(kind)
        , m_payload(payload)
        , m_every(every)
        , m_late_by(late_by) {
        le::Endpoint ep;
        ep.transport = transport;
        ep.host = "127.0.0.1";
        m_listener = le::listen_on(ep);
        m_endpoint = le::local_endpoint(m_listener.get(), transport);
        // Room for seconds of datagrams at 1k msg/s: a peer starved for a while on a loaded machine
        // must not drop (and so lose) messages the test counts as answered. Root may exceed rmem_max.
        const int bytes = 4 * 1024 * 1024;
        if (::setsockopt(m_listener.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
            ::setsockopt(m_listener.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
        m_thread = std::thread([this] { m_stream ? serve_stream() : serve_datagrams(); });
    }
    ~MisbehavingPeer() { stop(); }
    MisbehavingPeer(const MisbehavingPeer&) = delete;
    MisbehavingPeer& operator=(const MisbehavingPeer&) = delete;

    const le::Endpoint& endpoint() const { return m_endpoint; }
    // Stops serving and waits for the peer's thread: afterwards affected() no longer moves. A test
    // reads it after stop(), so a message the peer was still handling as the run ended is counted.
    void stop() {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    std::uint64_t affected() const { return m_affected; }

private:
    static constexpr std::uint64_t kProbe = UINT64_MAX;
    static constexpr std::uint64_t kForeignOffset = 1'000'000'000'000ULL;

    bool affects(std::uint64_t seq) const { return seq != kProbe && seq % m_every == m_every - 1; }

    // Waits up to 10 ms for `fd` to be readable (false: not yet, or stopping).
    bool readable(int fd, int ms = 10) const {
        pollfd p{fd, POLLIN, 0};
        return !m_stop && ::poll(&p, 1, ms) > 0;
    }

    void serve_datagrams() {
        const int fd = m_listener.get();
        std::vector<std::byte> buf(m_payload + 64);
        struct Held {
            le::Nanos due;
            std::vector<std::byte> bytes;
        };
        std::deque<Held> held; // Late: echoes waiting for their time
        sockaddr_storage from{};
        socklen_t len = 0;
        const auto send = [&](const std::byte* data, std::size_t n) {
            ::sendto(fd, data, n, 0, reinterpret_cast<sockaddr*>(&from), len);
        };
        while (!m_stop) {
            while (!held.empty() && held.front().due <= le::now_ns()) {
                send(held.front().bytes.data(), held.front().bytes.size());
                held.pop_front();
            }
            if (!readable(fd, 1))
                continue;
            len = sizeof from;
            const ssize_t r =
                ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (r < 8)
                continue;
            const auto n = static_cast<std::size_t>(r);
            const std::uint64_t seq = le::read_sequence(buf.data());
            if (!affects(seq) || m_kind == Kind::Deaf) {
                if (seq == kProbe || m_kind != Kind::Deaf)
                    send(buf.data(), n);
                continue;
            }
            ++m_affected;
            switch (m_kind) {
            case Kind::Duplicate:
                send(buf.data(), n);
                send(buf.data(), n);
                break;
            case Kind::Late:
                held.push_back(
                    {le::now_ns() + m_late_by, std::vector<std::byte>(buf.begin(), buf.begin() + r)});
                break;
            case Kind::Short:
                send(buf.data(), 4);
                break;
            case Kind::Long:
                send(buf.data(), n + 1);
                break;
            case Kind::Foreign: {
                send(buf.data(), n);
                le::write_sequence(buf.data(), seq + kForeignOffset);
                send(buf.data(), n);
                break;
            }
            case Kind::Corrupt:
                buf[7] ^= std::byte{0x5a}; // the wire is little-endian: the high byte
                send(buf.data(), n);
                break;
            case Kind::CorruptPayload:
                buf[n - 1] ^= std::byte{0x01};
                send(buf.data(), n);
                break;
            default:
                send(buf.data(), n);
                break;
            }
        }
    }

    bool send_all(int fd, const std::byte* data, std::size_t n) {
        while (n > 0 && !m_stop) {
            const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                data += w;
                n -= static_cast<std::size_t>(w);
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                return false;
            } else {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 10);
            }
        }
        return n == 0;
    }

    void serve_stream() {
        le::Fd client;
        while (!m_stop && !client)
            if (readable(m_listener.get()))
                client = le::Fd(::accept(m_listener.get(), nullptr, nullptr));
        std::vector<std::byte> buf(m_payload + 1);
        std::size_t got = 0;
        bool silent = false; // Trickle and HalfThenSilent, once started
        const int fd = client.get();
        while (!m_stop) {
            if (!readable(fd))
                continue;
            const ssize_t r = ::recv(fd, buf.data() + got, m_payload - got, MSG_DONTWAIT);
            if (r == 0)
                return;
            if (r < 0)
                continue;
            got += static_cast<std::size_t>(r);
            if (got < m_payload)
                continue;
            got = 0;
            const std::uint64_t seq = le::read_sequence(buf.data());
            if (seq == kProbe) {
                send_all(fd, buf.data(), m_payload);
                if (m_kind == Kind::Deaf)
                    break;
                continue;
            }
            if (silent)
                continue;
            if (!affects(seq)) {
                send_all(fd, buf.data(), m_payload);
                continue;
            }
            ++m_affected;
            switch (m_kind) {
            case Kind::Duplicate:
                send_all(fd, buf.data(), m_payload);
                send_all(fd, buf.data(), m_payload);
                break;
            case Kind::Long:
                buf[m_payload] = std::byte{0x42};
                send_all(fd, buf.data(), m_payload + 1);
                break;
            case Kind::Foreign:
                send_all(fd, buf.data(), m_payload);
                le::write_sequence(buf.data(), seq + kForeignOffset);
                send_all(fd, buf.data(), m_payload);
                break;
            case Kind::Corrupt:
                buf[7] ^= std::byte{0x5a}; // the wire is little-endian: the high byte
                send_all(fd, buf.data(), m_payload);
                break;
            case Kind::CorruptPayload:
                buf[m_payload - 1] ^= std::byte{0x01};
                send_all(fd, buf.data(), m_payload);
                break;
            case Kind::Trickle:
                silent = true;
                for (std::size_t i = 0; i < m_payload && !m_stop; ++i) {
                    send_all(fd, buf.data() + i, 1);
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                }
                break;
            case Kind::HalfThenSilent:
                silent = true;
                send_all(fd, buf.data(), m_payload / 2);
                break;
            default:
                send_all(fd, buf.data(), m_payload);
                break;
            }
        }
        while (!m_stop) // Deaf: holds the connection, reads nothing
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }

    const bool m_stream;
    const Kind m_kind;
    const std::size_t m_payload;
    const std::uint64_t m_every;
    const le::Nanos m_late_by;
    le::Fd m_listener;
    le::Endpoint m_endpoint;
    std::atomic<std::uint64_t> m_affected{0};
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};
