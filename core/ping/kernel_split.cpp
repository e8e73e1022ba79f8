#include "kernel_split.h"

#include "kernel_timestamps.h"

#include <sys/socket.h>

namespace le {

KernelSplit::KernelSplit(int fd, Transport transport, bool enable)
    : m_fd(fd)
    , m_stream(is_stream(transport)) {
    if (!enable)
        return;
    const StampAbility a = enable_kernel_timestamps(fd, transport);
    m_on = a.tx && a.rx;
    m_unavailable = m_on ? std::string() : a.reason;
    m_clock.resample(); // the reference the first echo's sample is compared with
}

ssize_t KernelSplit::recv_with_stamp(int fd, void* buf, std::size_t n, int flags) noexcept {
    return recv_stamped(fd, buf, n, flags, m_rx);
}

void KernelSplit::take_tx_early() noexcept {
    if (!m_on || m_next_key == 0)
        return;
    const std::uint64_t key = m_next_key - 1;
    if (m_tx_key != key)
        if (const std::int64_t tx = take_tx_stamp(m_fd, static_cast<std::uint32_t>(key)); tx != 0) {
            m_tx = tx;
            m_tx_key = key;
        }
}

SplitSample KernelSplit::finish_stamped(Nanos t_send, Nanos t_recv) noexcept {
    SplitSample s;
    // The id of the last send call's last byte (stream) or of the last datagram; ids are 32 bits.
    const std::uint64_t key = m_next_key - 1;
    take_tx_early();
    const std::int64_t rx = m_rx;
    m_rx = 0;
    // Both stamps were taken after the previous sample (closed loop: it was taken at the previous
    // echo, before this send) and before this one: an offset that held across both converts them.
    const bool steady = m_clock.resample();
    if (m_tx_key != key || rx == 0) {
        s.state = SplitSample::State::Unstamped;
        return s;
    }
    s.send = m_clock.to_monotonic(m_tx) - t_send;
    s.wire = rx - m_tx;
    s.wake = t_recv - m_clock.to_monotonic(rx);
    const bool adds_up = s.send + s.wire + s.wake == t_recv - t_send;
    const bool ok =
        steady && t_send > m_clock.last_step() && adds_up && s.send >= 0 && s.wire >= 0 && s.wake >= 0;
    s.state = ok ? SplitSample::State::Ok : SplitSample::State::Discarded;
    return s;
}

} // namespace le
