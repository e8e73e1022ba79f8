#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace le {

// Two buffers of T with HdrHistogram's writer-reader phaser: writers (a data path) never block or
// allocate, they only bump two uncontended atomics; the reader (an interval collector) swaps
// buffers and waits until every writer that could still see the old buffer is done with it. One
// reader at a time; any number of writer threads. T has reset(). (The ping's Recorder keeps its
// IntervalData in one; a pong of ours its residence times.)
template <class T> class PhasedBuffers {
public:
    PhasedBuffers()
        : m_buffers{std::make_unique<T>(), std::make_unique<T>()}
        , m_active(m_buffers[0].get()) {}

    // Runs f(T&) on the active buffer.
    template <class F> void write(F&& f) noexcept {
        const std::int64_t enter = m_start_epoch.fetch_add(1, std::memory_order_seq_cst);
        f(*m_active.load(std::memory_order_acquire));
        (enter < 0 ? m_odd_end_epoch : m_even_end_epoch).fetch_add(1, std::memory_order_seq_cst);
    }

    // Makes a fresh buffer active and returns the one writers just left, valid until the next swap.
    const T& swap() {
        std::lock_guard lock(m_reader);
        T* old = m_active.load(std::memory_order_acquire);
        T* fresh = old == m_buffers[0].get() ? m_buffers[1].get() : m_buffers[0].get();
        fresh->reset();
        m_active.store(fresh, std::memory_order_release);
        flip_phase();
        return *old;
    }

private:
    void flip_phase() {
        // The sign of the start epoch tells which end epoch the writers of the current phase bump.
        const bool next_phase_even = m_start_epoch.load(std::memory_order_seq_cst) < 0;
        const std::int64_t initial = next_phase_even ? 0 : INT64_MIN;
        (next_phase_even ? m_even_end_epoch : m_odd_end_epoch).store(initial, std::memory_order_seq_cst);
        const std::int64_t start_at_flip = m_start_epoch.exchange(initial, std::memory_order_seq_cst);
        auto& old_end = next_phase_even ? m_odd_end_epoch : m_even_end_epoch;
        while (old_end.load(std::memory_order_seq_cst) != start_at_flip)
            std::this_thread::yield();
    }

    std::unique_ptr<T> m_buffers[2];
    std::atomic<T*> m_active;
    std::atomic<std::int64_t> m_start_epoch{0};
    std::atomic<std::int64_t> m_even_end_epoch{0};
    std::atomic<std::int64_t> m_odd_end_epoch{INT64_MIN};
    std::mutex m_reader;
};

} // namespace le
