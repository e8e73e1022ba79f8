#include "stamped_datagrams.h"

#include "endpoint.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <span>

namespace le {
namespace {

constexpr int kFullSocketWaitMs = 100;

// sendto() on a socket the event loop made non-blocking: while the socket buffer is full it waits
// for room (briefly; UDP drains fast), as the engines' own synchronous UDP sends do, rather than
// losing the echo. True when the whole datagram went.
bool send_datagram(int fd, const void* data, std::size_t n, const sockaddr* to, socklen_t to_len) noexcept {
    for (int attempt = 0; attempt < 2; ++attempt) {
        const ssize_t r = ::sendto(fd, data, n, MSG_NOSIGNAL, to, to_len);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return r == static_cast<ssize_t>(n);
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, kFullSocketWaitMs);
    }
    return false;
}

} // namespace

StampedDatagrams::StampedDatagrams(int fd, ResidenceRecorder* sink, DelayLine& line, PongStats& stats)
    : m_fd(fd)
    , m_meter(sink)
    , m_line(line)
    , m_stats(stats)
    , m_buffer(kMaxUdpPayload + 1) {}

int StampedDatagrams::drain(int max, bool wait) noexcept {
    int read = 0;
    while (read < max) {
        const bool direct = m_line.bypass();
        std::span<std::byte> target = m_buffer;
        bool queued = false;
        if (!direct) { // into the delay queue, or into the buffer to drop when it is full
            const std::span<std::byte> room = m_line.room();
            queued = !room.empty();
            if (queued)
                target = room;
        }
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        std::int64_t rx = 0;
        const int flags = wait && read == 0 ? 0 : MSG_DONTWAIT;
        const ssize_t n = m_meter.recvfrom(m_fd, target.data(), target.size(), flags,
                                           reinterpret_cast<sockaddr*>(&from), &len, rx);
        if (n < 0)
            return read; // nothing waits (or an ICMP error, now cleared): the caller calls again
        ++read;
        if (direct) {
            const Nanos t_send = m_meter.send_begins();
            if (send_datagram(m_fd, m_buffer.data(), static_cast<std::size_t>(n),
                              reinterpret_cast<const sockaddr*>(&from), len))
                m_stats.bytes += static_cast<std::uint64_t>(n);
            m_meter.sent(rx, t_send);
        } else if (!queued || !m_line.commit(static_cast<std::size_t>(n), now_ns(),
                                             reinterpret_cast<const sockaddr*>(&from), len, rx)) {
            m_stats.dropped++;
        }
    }
    return read;
}

void StampedDatagrams::release_due(Nanos now) noexcept {
    while (!m_line.empty() && m_line.next_due() <= now) {
        const DelayLine::Message m = m_line.front();
        const Nanos t_send = m_meter.send_begins();
        if (send_datagram(m_fd, m.data, m.size, m.to, m.to_len))
            m_stats.bytes += m.size;
        m_meter.sent(m.stamp, t_send);
        m_line.consumed(m.size);
    }
}

} // namespace le
