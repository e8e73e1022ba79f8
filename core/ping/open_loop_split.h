#pragma once

#include "clock_offset.h"
#include "endpoint.h"
#include "kernel_split.h"
#include "kernel_timestamps.h"
#include "ping_config.h"
#include "split_stats.h"

#include <cstdint>
#include <string>
#include <vector>

namespace le {

// The kernel-timestamp split (split_stats.h) for open loop over datagrams, where many messages are
// in flight: the TX stamps come back from the error queue in batches and wait, keyed by message, for
// their echoes; each echo brings its RX stamp (DatagramReceive reads both). Open loop measures from
// the intended send time, so here `send` runs from the intended time to the TX stamp (it includes
// the instrument's own send lag, which the records also give apart), and send + wire + wake is the
// recorded RTT exactly. Datagram keys count the socket's datagrams from 0, and the engine sends only
// its messages, numbered from 0, one datagram each: a message's key is its sequence number (mod 2^32).
// Used by the one thread that receives the echoes; nothing allocated or locked per message.
class OpenLoopSplit {
public:
    // `enable`: ask the kernel for timestamps on `fd` (before anything was sent on it). Only
    // datagrams are split in open loop; a stream says why not.
    OpenLoopSplit(int fd, Transport transport, bool enable);
    // As an engine asks for it: on with config.kernel_timestamps in open loop without payload
    // verification (which reads echoes one by one, without their stamps).
    OpenLoopSplit(int fd, const PingConfig& config)
        : OpenLoopSplit(fd, config.effective_transport(),
                        config.kernel_timestamps && config.open_loop && !config.verify_payload) {}

    bool on() const noexcept { return m_on; }
    // Empty when the split works; otherwise why not.
    const std::string& unavailable() const noexcept { return m_unavailable; }

    // After a batch of echoes was read and before they are booked: takes every TX stamp waiting (the
    // echoes' stamps among them: a datagram's TX stamp is queued before it reaches the peer) and
    // resamples the clocks' offset for the batch.
    void begin_batch() noexcept;
    // Takes every TX stamp waiting (a readiness wait woken by the error queue alone calls it, so the
    // stamps do not wake it again).
    void take_tx_stamps() noexcept;

    // The split of the echo of message `seq`, intended at `intended` (monotonic), its datagram
    // stamped `rx_realtime` on arrival (0: none) and in the engine's hands at `t_recv`.
    SplitSample finish(std::uint64_t seq, Nanos intended, std::int64_t rx_realtime, Nanos t_recv) noexcept;

private:
    struct Slot {
        std::uint64_t key = UINT64_MAX; // the full key (unwrapped from the kernel's 32 bits)
        std::int64_t tx = 0;            // its TX stamp, realtime ns
    };
    static constexpr std::size_t kSlots = 1 << 16; // stamps kept: 65,536 messages (218 ms at 300k/s)

    const int m_fd;
    bool m_on = false;
    bool m_steady = true;
    std::string m_unavailable;
    std::vector<Slot> m_slots;    // allocated only when on
    std::uint64_t m_last_key = 0; // unwraps the 32-bit keys (they only grow)
    RealtimeBridge m_clock;
};

// Why an engine with these splits does not split its round trips (empty when it does): the closed
// loop's or the open loop's reason, as `config` asks for one or the other.
std::string split_unavailable(const PingConfig& config, const KernelSplit& closed, const OpenLoopSplit& open);

} // namespace le
