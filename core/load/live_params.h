#pragma once

#include "clock.h"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace le {

// Parameters the user steers while a run is live. The control thread stores a value and then bumps
// `generation`; the data path reads `generation` once per message (one relaxed load) and re-reads
// the values only when it moved.
struct LiveParams {
    std::atomic<double> rate{1000.0}; // msg/s; kRateInf (0) = back-to-back
    std::atomic<std::size_t> payload{64};
    std::atomic<int> tasks{0};
    std::atomic<Nanos> task_work{20 * kNanosPerMicro};
    std::atomic<Nanos> task_period{kNanosPerMilli};
    std::atomic<std::uint64_t> generation{0};

    void bump() noexcept { generation.fetch_add(1, std::memory_order_release); }
};

} // namespace le
