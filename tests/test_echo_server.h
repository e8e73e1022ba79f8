#pragma once

#include "socket.h"
#include "wire.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <sys/socket.h>
#include <thread>
#include <vector>

// A plain echo server written for the tests, independent of the project's pong: if the ping works
// against this, it works against any standard echo service. Optionally drops every `drop_every`-th
// datagram by sequence number (never the connection probe), counting what it dropped.
class TestEchoServer {
public:
    TestEchoServer(le::Transport transport, std::uint64_t drop_every = 0)
        : m_drop_every(drop_every) {
        le::Endpoint ep;
        ep.transport = transport;
        if (transport == le::Transport::Unix)
            ep.path = "/tmp/le-test-echo-" + std::to_string(::getpid()) + ".sock";
        else
            ep.host = "127.0.0.1";
        m_listener = le::listen_on(ep);
        m_endpoint = le::local_endpoint(m_listener.get(), transport);
        if (transport == le::Transport::Unix)
            m_endpoint.path = ep.path;
        le::set_recv_timeout(m_listener.get(), 50 * le::kNanosPerMilli);
        m_thread = std::thread([this, transport] {
            if (transport == le::Transport::Udp)
                serve_udp();
            else
                serve_stream();
        });
    }
    ~TestEchoServer() {
        m_stop = true;
        m_thread.join();
    }

    const le::Endpoint& endpoint() const { return m_endpoint; }
    std::uint64_t dropped() const { return m_dropped; }
    // UDP: datagrams received, and the largest of them (bytes).
    std::uint64_t datagrams() const { return m_datagrams; }
    std::size_t largest() const { return m_largest; }

private:
    void serve_udp() {
        std::vector<std::byte> buf(65536);
        while (!m_stop) {
            sockaddr_storage from{};
            socklen_t len = sizeof(from);
            const ssize_t n = ::recvfrom(m_listener.get(), buf.data(), buf.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0)
                continue;
            ++m_datagrams;
            m_largest = std::max(m_largest.load(), static_cast<std::size_t>(n));
            if (m_drop_every && n >= 8) {
                const std::uint64_t seq = le::read_sequence(buf.data());
                if (seq != UINT64_MAX && seq % m_drop_every == m_drop_every - 1) {
                    ++m_dropped;
                    continue;
                }
            }
            ::sendto(m_listener.get(), buf.data(), static_cast<std::size_t>(n), 0,
                     reinterpret_cast<sockaddr*>(&from), len);
        }
    }

    void serve_stream() {
        // One client at a time is all a ping needs.
        std::vector<std::byte> buf(65536);
        while (!m_stop) {
            le::Fd client(::accept(m_listener.get(), nullptr, nullptr));
            if (!client)
                continue;
            le::set_recv_timeout(client.get(), 50 * le::kNanosPerMilli);
            while (!m_stop) {
                const ssize_t n = ::recv(client.get(), buf.data(), buf.size(), 0);
                if (n == 0)
                    break;
                if (n < 0) {
                    if (errno == EAGAIN || errno == EINTR)
                        continue;
                    break;
                }
                ssize_t done = 0;
                while (done < n) {
                    const ssize_t w = ::send(client.get(), buf.data() + done,
                                             static_cast<std::size_t>(n - done), MSG_NOSIGNAL);
                    if (w <= 0)
                        break;
                    done += w;
                }
            }
        }
    }

    std::uint64_t m_drop_every;
    le::Fd m_listener;
    le::Endpoint m_endpoint;
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_dropped{0};
    std::atomic<std::uint64_t> m_datagrams{0};
    std::atomic<std::size_t> m_largest{0}; // written by the serving thread only
    std::thread m_thread;
};
