#pragma once

#include "clock_offset.h"
#include "endpoint.h"
#include "poll_io.h"
#include "split_stats.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace le {

// Which engines, transports and modes split their round trips by kernel timestamps (--help and
// the window say it; a run outside them says why in its records' split_available).
inline constexpr std::string_view kKernelSplitSupport =
    "every engine, closed loop over udp and tcp (tcp: the stamps of the segment that completes a "
    "message) and open loop over udp (send counts from the intended time, as open loop's RTT); not "
    "open-loop streams (many messages share a segment's stamps) nor --verify-payload in open loop; unix "
    "stream sockets have no kernel timestamps; a pong of ours (in-process, the window's pong child, "
    "an agent's endpoint started to measure it; every engine) measures its residence over udp and "
    "tcp (per read), splitting wire into network and pong";

// An engine's hook for the kernel-timestamp split (split_stats.h) of one connected socket, for
// closed loop (one message in flight): count what each send call puts on the socket, read through
// recv(), and finish() each echo. Switched off, every call is the plain one and finish() says
// State::None. One thread; nothing allocated or locked per message.
class KernelSplit {
public:
    // `enable`: ask the kernel for timestamps on `fd` (before anything was sent on it).
    KernelSplit(int fd, Transport transport, bool enable);

    bool on() const noexcept { return m_on; }
    // Empty when the split works; otherwise why not (as asked for: the transport, the kernel).
    const std::string& unavailable() const noexcept { return m_unavailable; }

    // A send call put `bytes` on the socket: datagrams are keyed by count, stream bytes by offset.
    void sent(std::size_t bytes) noexcept {
        if (m_on)
            m_next_key += m_stream ? bytes : 1;
    }
    // recv(), keeping the RX timestamp of what it read. Off, the busy pollers' plain system call
    // (poll_io.h): inline, so a spin engine's hot path pays nothing for the split it does not use.
    ssize_t recv(int fd, void* buf, std::size_t n, int flags) noexcept {
        return m_on ? recv_with_stamp(fd, buf, n, flags) : poll_recv(fd, buf, n, flags);
    }
    // Where to keep RX stamps for recv_exact/recv_some (blocking_io.h); null when off.
    std::int64_t* rx_stamp() noexcept { return m_on ? &m_rx : nullptr; }

    // Reads the last message's TX stamp now if it is queued (a wake-up for the socket's error queue),
    // so a readiness wait is not woken by it again; finish() uses it.
    void take_tx_early() noexcept;

    // The echo of the last message sent, which began with the send call at `t_send`, was complete at
    // `t_recv` (its last read was the last recv()). Resamples the clocks' offset; a step since the
    // last sample, a missing stamp or a negative part give no parts, and say which.
    // Off, inline and nothing: the spin engine's closed loop calls it once per round trip.
    SplitSample finish(Nanos t_send, Nanos t_recv) noexcept {
        return m_on ? finish_stamped(t_send, t_recv) : SplitSample{};
    }

private:
    ssize_t recv_with_stamp(int fd, void* buf, std::size_t n, int flags) noexcept;
    SplitSample finish_stamped(Nanos t_send, Nanos t_recv) noexcept;

    const int m_fd;
    const bool m_stream;
    bool m_on = false;
    std::string m_unavailable;
    std::uint64_t m_next_key = 0;        // the TX stamp id the next send call's last byte (or datagram) gets
    std::uint64_t m_tx_key = UINT64_MAX; // the id m_tx belongs to
    std::int64_t m_tx = 0;               // TX stamp (realtime), read early by a late echo's finish()
    std::int64_t m_rx = 0;               // RX stamp (realtime) of the last read, 0 = none
    RealtimeBridge m_clock;
};

} // namespace le
