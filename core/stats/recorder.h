#pragma once

#include "clock.h"
#include "interval_data.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace le {

// Double-buffered IntervalData with HdrHistogram's writer-reader phaser: writers (the data path)
// never block or allocate, they only bump two uncontended atomics; the reader (the interval
// collector) swaps buffers and waits until every writer that could still see the old buffer is
// done with it. One reader at a time; any number of writer threads.
class Recorder {
public:
    Recorder();

    // Runs f(IntervalData&) on the active buffer.
    template <class F> void write(F&& f) noexcept {
        const std::int64_t enter = m_start_epoch.fetch_add(1, std::memory_order_seq_cst);
        f(*m_active.load(std::memory_order_acquire));
        (enter < 0 ? m_odd_end_epoch : m_even_end_epoch).fetch_add(1, std::memory_order_seq_cst);
    }

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
    const IntervalData& swap();

private:
    void flip_phase();

    std::unique_ptr<IntervalData> m_buffers[2];
    std::atomic<IntervalData*> m_active;
    std::atomic<std::int64_t> m_start_epoch{0};
    std::atomic<std::int64_t> m_even_end_epoch{0};
    std::atomic<std::int64_t> m_odd_end_epoch{INT64_MIN};
    std::mutex m_reader;
    std::atomic<std::uint64_t> m_unanswered{0};
    std::atomic<Nanos> m_unanswered_since{0};
    std::atomic<Nanos> m_last_sent{0};
};

} // namespace le
