#include "pong_residence.h"

#include <algorithm>

namespace le {

ResidenceMeter::ResidenceMeter(ResidenceRecorder* sink) noexcept
    : m_sink(sink) {
    if (m_sink)
        m_clock.resample(); // the reference the first request's stamp is judged against
}

void ResidenceMeter::record(std::int64_t rx, Nanos t_send) noexcept {
    // The stamp was taken after some earlier sample and the send began before this one: with no step
    // detected since the stamp, the current offset converts it.
    const bool steady = m_clock.resample();
    const Nanos received = rx != 0 ? m_clock.to_monotonic(rx) : 0;
    const Nanos residence = t_send - received;
    m_sink->write([&](ResidenceData& d) {
        if (rx == 0)
            ++d.unstamped;
        else if (!steady || received <= m_clock.last_step() || residence < 0)
            ++d.discarded;
        else
            d.residence.record(residence);
    });
}

ResidenceRecorder* ResidenceBook::join() {
    auto r = std::make_unique<ResidenceRecorder>();
    std::lock_guard lock(m_mutex);
    m_writers.push_back(std::move(r));
    return m_writers.back().get();
}

void ResidenceBook::leave(ResidenceRecorder* r) {
    std::lock_guard lock(m_mutex);
    const auto it =
        std::find_if(m_writers.begin(), m_writers.end(), [r](const auto& w) { return w.get() == r; });
    if (it == m_writers.end())
        return;
    m_left.add((*it)->swap()); // its writer is the caller, done writing: the swap does not wait
    m_writers.erase(it);
}

const ResidenceData& ResidenceBook::take() {
    std::lock_guard lock(m_mutex);
    m_taken.reset();
    m_taken.add(m_shared.swap());
    for (const auto& w : m_writers)
        m_taken.add(w->swap());
    m_taken.add(m_left);
    m_left.reset();
    return m_taken;
}

} // namespace le
