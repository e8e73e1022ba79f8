#include "blocking_pong.h"

#include "blocking_io.h"

#include <poll.h>
#include <sys/socket.h>

namespace le {
namespace {

constexpr Nanos kSlice = 100 * kNanosPerMilli; // how soon a blocked thread notices stop()

} // namespace

BlockingPong::BlockingPong(const PongConfig& config)
    : m_config(config) {
    m_params.tasks = config.tasks;
    m_params.task_work = config.task_work;
    m_params.task_period = config.task_period;
    for (const Endpoint& ep : config.listen) {
        Fd fd = listen_on(ep);
        m_endpoints.push_back(local_endpoint(fd.get(), ep.transport));
        if (ep.transport == Transport::Unix)
            m_endpoints.back().path = ep.path;
        m_listeners.push_back(std::move(fd));
    }
    m_tasks = std::make_unique<ThreadTasks>(m_params);
    for (std::size_t i = 0; i < m_listeners.size(); ++i) {
        const int fd = m_listeners[i].get();
        if (m_endpoints[i].transport == Transport::Udp)
            m_threads.emplace_back([this, fd] { serve_datagrams(fd); });
        else
            m_threads.emplace_back([this, fd] { accept_loop(fd); });
    }
}

BlockingPong::~BlockingPong() {
    stop();
}

void BlockingPong::stop() {
    if (m_stop.exchange(true))
        return;
    for (auto& t : m_threads)
        t.join();
    std::lock_guard lock(m_connections_mutex);
    for (auto& c : m_connections)
        c->thread.join();
    m_connections.clear();
    m_tasks.reset();
    m_listeners.clear();
    for (const Endpoint& ep : m_endpoints)
        remove_socket_file(ep);
}

void BlockingPong::accept_loop(int listen_fd) {
    while (!m_stop.load()) {
        pollfd p{listen_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(kSlice / kNanosPerMilli)) <= 0)
            continue;
        Fd client(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) {
            // EMFILE and friends: back off instead of spinning on a ready listener; the open
            // connections are served meanwhile.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        reap_finished();
        if (m_stats.active.load() >= m_config.max_connections) {
            m_stats.refused++;
            continue; // closed at once: the client sees EOF instead of a silent hang
        }
        set_nodelay(client.get());
        set_recv_timeout(client.get(), kSlice);
        set_send_timeout(client.get(), kSlice);
        m_stats.accepted++;
        m_stats.active++;
        auto conn = std::make_unique<Connection>();
        Connection* raw = conn.get();
        conn->fd = std::move(client);
        std::lock_guard lock(m_connections_mutex);
        conn->thread = std::thread([this, raw] {
            serve_stream(raw->fd.get());
            raw->fd.reset();
            m_stats.active--;
            raw->done.store(true);
        });
        m_connections.push_back(std::move(conn));
    }
}

void BlockingPong::reap_finished() {
    std::lock_guard lock(m_connections_mutex);
    std::erase_if(m_connections, [](std::unique_ptr<Connection>& c) {
        if (!c->done.load())
            return false;
        c->thread.join();
        return true;
    });
}

void BlockingPong::serve_stream(int fd) {
    std::vector<std::byte> buffer(kPongChunk);
    const auto keep_going = [this] { return !m_stop.load(std::memory_order_relaxed); };
    while (keep_going()) {
        const IoResult r = recv_some(fd, buffer.data(), buffer.size(), keep_going);
        if (r.status != IoStatus::Ok || r.bytes == 0)
            return;
        if (send_all(fd, buffer.data(), r.bytes, keep_going).status != IoStatus::Ok)
            return;
        m_stats.bytes += r.bytes;
    }
}

void BlockingPong::serve_datagrams(int fd) {
    std::vector<std::byte> buffer(kMaxUdpPayload + 1);
    set_recv_timeout(fd, kSlice);
    while (!m_stop.load(std::memory_order_relaxed)) {
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        const ssize_t n =
            ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0)
            continue; // timeout slice, or an ICMP error from an earlier client: keep serving
        if (::sendto(fd, buffer.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL,
                     reinterpret_cast<sockaddr*>(&from), len) == n)
            m_stats.bytes += static_cast<std::uint64_t>(n);
    }
}

} // namespace le
