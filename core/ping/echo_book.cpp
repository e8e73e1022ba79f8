#include "echo_book.h"

#include "wire.h"

#include <algorithm>

namespace le {

std::size_t echo_ring_capacity(const PingConfig& c) {
    if (!c.open_loop)
        return 1024;
    // Each tick sends a burst of messages, at most kRateMax in all (no engine sends faster); the
    // margin covers the sender running ahead.
    const double per_second = std::min(c.highest_rate() * c.burst, kRateMax);
    const double slots = per_second * to_seconds(c.timeout) * 1.25 + 2.0 * kMaxBurst + 1024;
    return static_cast<std::size_t>(std::min(slots, 16.0 * 1024 * 1024));
}

EchoBook::EchoBook(Recorder& recorder, bool open_loop, Nanos timeout, const std::atomic<Nanos>& measure_from,
                   std::size_t capacity, bool verify_payload, bool bursts)
    : m_recorder(recorder)
    , m_table(capacity)
    , m_open_loop(open_loop)
    , m_verify(verify_payload)
    , m_bursts(bursts)
    , m_timeout(timeout)
    , m_measure_from(measure_from) {}

bool EchoBook::sent(std::uint64_t seq, Nanos intended, Nanos actual, std::uint32_t size) noexcept {
    if (seq - m_oldest.load(std::memory_order_acquire) >= m_table.capacity())
        return false;
    if (m_first_counted.load(std::memory_order_relaxed) == UINT64_MAX &&
        intended >= m_measure_from.load(std::memory_order_relaxed))
        m_first_counted.store(seq, std::memory_order_release);
    // Messages of one burst share their due time: the first with a new one opens a burst.
    const bool first = intended != m_last_intended;
    m_last_intended = intended;
    m_table.put(seq, m_open_loop ? intended : actual, first ? size | InFlightTable::kFirstOfBurst : size);
    m_next.store(seq + 1, std::memory_order_release);
    m_recorder.note_sent(actual);
    // The send lag: open loop against the due time; closed loop against the due time or the echo that
    // let this message go, whichever came later (waiting for the peer is not the instrument's lag).
    const Nanos schedule = m_open_loop ? intended : std::max(intended, m_last_echo);
    if (counted(seq))
        m_recorder.write([&](IntervalData& d) {
            ++d.sent;
            d.bytes += size;
            d.send_lag.record(actual - schedule);
        });
    return true;
}

void EchoBook::skip_missed(Pacer& pacer, Nanos now, Nanos send_until) noexcept {
    const std::uint64_t n = pacer.skip_missed(std::min(now, send_until));
    if (n > 0 && m_first_counted.load(std::memory_order_relaxed) != UINT64_MAX)
        m_recorder.write([n](IntervalData& d) { d.skipped += n; });
}

EchoBook::Echo EchoBook::echo(const std::byte* message, std::size_t size, Nanos now,
                              const SplitSample& split) noexcept {
    if (size < kSequenceBytes)
        return stray();
    const std::uint64_t seq = read_sequence(message);
    if (seq == kProbeSequence)
        return Echo::Late; // a repeated connection probe answered late: ours, and no message's
    const std::uint32_t tagged = m_table.tagged_size(seq);
    const std::uint32_t expected = tagged & ~InFlightTable::kFirstOfBurst;
    const Nanos from = m_table.take(seq);
    if (from == 0 && expected == 0)
        return stray();     // counting it would count its message twice, were it one of ours
    m_recorder.note_echo(); // an answer to a message we sent shows the peer is there
    if (from == 0)
        return Echo::Late; // already counted lost (or a duplicate)
    const bool corrupt = expected == size && m_verify && !has_sequence_pattern(message, size, seq);
    const bool ok = expected == size && !corrupt;
    if (!m_open_loop)
        m_last_echo = now; // the closed loop's next message may go from here on
    if (counted(seq))
        m_recorder.write([&](IntervalData& d) {
            if (ok) {
                d.rtt.record(now - from);
                if (m_bursts)
                    (tagged & InFlightTable::kFirstOfBurst ? d.rtt_first : d.rtt_rest).record(now - from);
                ++d.received;
                d.split.record(split);
            } else {
                ++d.errors;
            }
        });
    return ok ? Echo::Ok : corrupt ? Echo::Corrupt : Echo::Bad;
}

EchoBook::Echo EchoBook::stray() noexcept {
    if (m_first_counted.load(std::memory_order_acquire) != UINT64_MAX)
        m_recorder.write([](IntervalData& d) { ++d.strays; });
    return Echo::Stray;
}

std::uint64_t EchoBook::expire(Nanos now, bool all) noexcept {
    const std::uint64_t next = next_seq();
    std::uint64_t oldest = m_oldest.load(std::memory_order_relaxed);
    std::uint64_t lost_counted = 0;
    while (oldest < next) {
        const Nanos from = m_table.peek(oldest);
        if (from != 0 && !all && now - from < m_timeout)
            break;
        if (from != 0 && m_table.take(oldest) != 0 && counted(oldest))
            ++lost_counted;
        ++oldest;
    }
    m_oldest.store(oldest, std::memory_order_release);
    if (lost_counted)
        m_recorder.write([&](IntervalData& d) { d.lost += lost_counted; });
    return next - oldest;
}

std::string closed_stream_echo_error(EchoBook::Echo echo) {
    switch (echo) {
    case EchoBook::Echo::Ok:
    case EchoBook::Echo::Corrupt:
        return {};
    case EchoBook::Echo::Late:
        return "echo stream out of sync: the peer sent an echo twice";
    case EchoBook::Echo::Bad:
        return "echo stream out of sync: an echo of the wrong length";
    case EchoBook::Echo::Stray:
        break;
    }
    return "echo stream out of sync: unknown sequence number (a byte lost, added or corrupted on the way)";
}

} // namespace le
