#pragma once

#include "clock.h"
#include "interval_data.h"
#include "phased_buffers.h"

#include <atomic>
#include <cstdint>
#include <utility>

namespace le {

// Double-buffered IntervalData (phased_buffers.h: writers never block or allocate, the collector
// swaps), and the peer-lost watch of the data path.
class Recorder {
public:
    // Runs f(IntervalData&) on the active buffer.
    template <class F> void write(F&& f) noexcept { m_data.write(std::forward<F>(f)); }

    // The peer-lost watch: when the oldest message with no echo after it was sent, and how many
    // went out since. An echo of anything resets it. Relaxed atomics, untouched while echoes flow
    // (one load per message), so the data path stays free of contention.
    void note_sent(Nanos when) noexcept {
        m_last_sent.store(when, std::memory_order_relaxed);
        if (m_unanswered.load(std::memory_order_relaxed) == 0)
            m_unanswered_since.store(when, std::memory_order_relaxed);
        m_unanswered.fetch_add(1, std::memory_order_relaxed);
    }
    void note_echo() noexcept {
        if (m_unanswered.load(std::memory_order_relaxed) != 0)
            m_unanswered.store(0, std::memory_order_relaxed);
    }
    // 0 when every message sent so far was followed by some echo.
    Nanos unanswered_since() const noexcept {
        return m_unanswered.load(std::memory_order_relaxed)
                   ? m_unanswered_since.load(std::memory_order_relaxed)
                   : 0;
    }
    std::uint64_t unanswered() const noexcept { return m_unanswered.load(std::memory_order_relaxed); }
    // When the last message went out (0 = none yet): a ping that stopped sending while nothing
    // held it back (no echo awaited, or echoes waiting unread) is starved, not its peer lost.
    Nanos last_sent() const noexcept { return m_last_sent.load(std::memory_order_relaxed); }

    // Makes a fresh buffer active and returns the one writers just left, valid until the next swap.
    const IntervalData& swap() { return m_data.swap(); }

private:
    PhasedBuffers<IntervalData> m_data;
    std::atomic<std::uint64_t> m_unanswered{0};
    std::atomic<Nanos> m_unanswered_since{0};
    std::atomic<Nanos> m_last_sent{0};
};

} // namespace le
