#pragma once

#include "clock.h"

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace le {

// Open loop: the messages sent and not yet resolved, by sequence number, in a ring sized at start
// for the highest rate times the timeout, so nothing is allocated while running. The sender fills a
// slot; exactly one of the receiver (echo) or the loss scan (timeout) takes it, by atomic exchange.
class InFlightTable {
public:
    explicit InFlightTable(std::size_t min_capacity)
        : m_capacity(std::bit_ceil(std::max<std::size_t>(min_capacity, 1024)))
        , m_mask(m_capacity - 1)
        , m_slots(std::make_unique<Slot[]>(m_capacity)) {}

    std::size_t capacity() const noexcept { return m_capacity; }

    void put(std::uint64_t seq, Nanos intended, std::uint32_t size) noexcept {
        Slot& s = m_slots[seq & m_mask];
        s.size.store(size, std::memory_order_relaxed);
        s.seq.store(seq, std::memory_order_relaxed);
        s.intended.store(intended, std::memory_order_release);
    }

    // The intended send time of `seq`, or 0 when it is resolved already or was never sent.
    Nanos take(std::uint64_t seq) noexcept {
        Slot& s = m_slots[seq & m_mask];
        if (s.seq.load(std::memory_order_acquire) != seq)
            return 0;
        return s.intended.exchange(0, std::memory_order_acq_rel);
    }

    // Size and flags of a message still known to the table (0 when its slot was reused). Sizes are
    // at most 1 MiB, so the top bit is free to mark the first message of a burst.
    static constexpr std::uint32_t kFirstOfBurst = 0x8000'0000u;
    std::uint32_t tagged_size(std::uint64_t seq) const noexcept {
        const Slot& s = m_slots[seq & m_mask];
        return s.seq.load(std::memory_order_acquire) == seq ? s.size.load(std::memory_order_relaxed) : 0;
    }
    std::uint32_t size_of(std::uint64_t seq) const noexcept { return tagged_size(seq) & ~kFirstOfBurst; }

    // Intended time of the message without taking it (0 when resolved).
    Nanos peek(std::uint64_t seq) const noexcept {
        const Slot& s = m_slots[seq & m_mask];
        if (s.seq.load(std::memory_order_acquire) != seq)
            return 0;
        return s.intended.load(std::memory_order_acquire);
    }

private:
    struct Slot {
        std::atomic<std::uint64_t> seq{UINT64_MAX};
        std::atomic<Nanos> intended{0};
        std::atomic<std::uint32_t> size{0};
    };
    std::size_t m_capacity;
    std::size_t m_mask;
    std::unique_ptr<Slot[]> m_slots;
};

} // namespace le
