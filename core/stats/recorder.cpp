#include "recorder.h"

#include <thread>

namespace le {

Recorder::Recorder()
    : m_buffers{std::make_unique<IntervalData>(), std::make_unique<IntervalData>()}
    , m_active(m_buffers[0].get()) {}

const IntervalData& Recorder::swap() {
    std::lock_guard lock(m_reader);
    IntervalData* old = m_active.load(std::memory_order_acquire);
    IntervalData* fresh = old == m_buffers[0].get() ? m_buffers[1].get() : m_buffers[0].get();
    fresh->reset();
    m_active.store(fresh, std::memory_order_release);
    flip_phase();
    return *old;
}

void Recorder::flip_phase() {
    // The sign of the start epoch tells which end epoch the writers of the current phase bump.
    const bool next_phase_even = m_start_epoch.load(std::memory_order_seq_cst) < 0;
    const std::int64_t initial = next_phase_even ? 0 : INT64_MIN;
    (next_phase_even ? m_even_end_epoch : m_odd_end_epoch).store(initial, std::memory_order_seq_cst);
    const std::int64_t start_at_flip = m_start_epoch.exchange(initial, std::memory_order_seq_cst);
    auto& old_end = next_phase_even ? m_odd_end_epoch : m_even_end_epoch;
    while (old_end.load(std::memory_order_seq_cst) != start_at_flip)
        std::this_thread::yield();
}

} // namespace le
