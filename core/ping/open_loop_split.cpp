#include "open_loop_split.h"

#include <array>

namespace le {

OpenLoopSplit::OpenLoopSplit(int fd, Transport transport, bool enable)
    : m_fd(fd) {
    if (!enable)
        return;
    if (is_stream(transport)) {
        m_unavailable = "open loop splits datagrams only (a stream's stamps are per segment, and many "
                        "messages share one): use udp, or closed loop";
        return;
    }
    const StampAbility a = enable_kernel_timestamps(fd, transport);
    m_on = a.tx && a.rx;
    m_unavailable = m_on ? std::string() : a.reason;
    if (m_on)
        m_slots.resize(kSlots);
    m_clock.resample();
}

void OpenLoopSplit::begin_batch() noexcept {
    if (!m_on)
        return;
    take_tx_stamps();
    m_steady = m_clock.resample();
}

void OpenLoopSplit::take_tx_stamps() noexcept {
    if (!m_on)
        return;
    std::array<TxStamp, kMaxTxStampsPerRead> stamps;
    std::size_t n;
    do {
        n = read_tx_stamps(m_fd, stamps.data(), stamps.size());
        for (std::size_t i = 0; i < n; ++i) {
            // The kernel's key is 32 bits: the full one is the nearest to the last one seen.
            const auto low = static_cast<std::uint32_t>(m_last_key);
            const auto delta = static_cast<std::int32_t>(stamps[i].key - low);
            const std::uint64_t key =
                m_last_key + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
            if (delta > 0)
                m_last_key = key;
            m_slots[key % kSlots] = {key, stamps[i].realtime_ns};
        }
    } while (n == stamps.size());
}

SplitSample OpenLoopSplit::finish(std::uint64_t seq, Nanos intended, std::int64_t rx_realtime,
                                  Nanos t_recv) noexcept {
    SplitSample s;
    if (!m_on)
        return s;
    const Slot& slot = m_slots[seq % kSlots];
    if (slot.key != seq || rx_realtime == 0 || intended == 0) {
        s.state = SplitSample::State::Unstamped;
        return s;
    }
    s.send = m_clock.to_monotonic(slot.tx) - intended;
    s.wire = rx_realtime - slot.tx;
    s.wake = t_recv - m_clock.to_monotonic(rx_realtime);
    const bool ok = m_steady && intended > m_clock.last_step() && s.send >= 0 && s.wire >= 0 && s.wake >= 0;
    s.state = ok ? SplitSample::State::Ok : SplitSample::State::Discarded;
    return s;
}

std::string split_unavailable(const PingConfig& config, const KernelSplit& closed,
                              const OpenLoopSplit& open) {
    if (!config.open_loop)
        return closed.unavailable();
    if (config.verify_payload)
        return "open loop with --verify-payload reads its echoes one by one, without their stamps: no split";
    return open.unavailable();
}

} // namespace le
