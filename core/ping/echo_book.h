#pragma once

#include "in_flight.h"
#include "pacer.h"
#include "ping_config.h"
#include "recorder.h"
#include "split_stats.h"
#include "wire.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace le {

// The per-message accounting every ping engine shares: what was sent, which echo answers which
// message, RTTs into the recorder, losses by timeout. Every counted message ends in exactly one of
// received, lost or errors, so sent == received + lost + errors once a run has drained.
// Slots an engine's book needs: one in closed loop (a few for safety), and in open loop every
// message of the run's highest rate (PingConfig::highest_rate, x burst) during one timeout, capped at 16 Mi
// (24 bytes each): 1k msg/s with a 60 s timeout takes ~2 MB, not the 400 MB sized for 1M msg/s.
std::size_t echo_ring_capacity(const PingConfig& config);

class EchoBook {
public:
    // Ok: the echo of an outstanding message, counted received. Bad: the right sequence number but
    // the wrong length, counted as an error (its message is resolved by it). Late: a message resolved
    // already (counted lost, or a duplicate), or a repeated connection probe (kProbeSequence)
    // answered late: nothing is counted. Stray: shorter than a sequence
    // number or a sequence number never sent: not ours, so counted apart as a stray (once counting
    // has begun), never as received, lost or an error, and it does not show the peer is there (a
    // stream that delivers one is out of sync).
    // Corrupt: (verify_payload) the right sequence number and length, another payload: an error.
    enum class Echo { Ok, Late, Bad, Stray, Corrupt };

    // Closed loop measures from the real send time, open loop from the intended one (so a stalled
    // sender shows up as latency instead of being omitted).
    // `measure_from` is read until counting has begun: the session sets it once the engine (and its
    // compute tasks, which may take seconds to start under overload) is up.
    // `verify_payload`: stamp() fills payloads from their sequence numbers and echo() checks them.
    // `bursts`: RTTs also go to the first-of-burst and rest histograms (IntervalData); a run of one
    // message per tick leaves them empty (its records carry them only with a burst, ping_session.cpp),
    // one histogram fewer per echo.
    EchoBook(Recorder& recorder, bool open_loop, Nanos timeout, const std::atomic<Nanos>& measure_from,
             std::size_t capacity, bool verify_payload = false, bool bursts = true);

    // Writes message `seq` of `size` bytes into `tx` before it is sent: its sequence number, and with
    // verify_payload its pattern (wire.h). The rest of `tx` holds fill_pattern() otherwise.
    void stamp(std::byte* tx, std::uint64_t seq, std::size_t size) const noexcept {
        write_sequence(tx, seq);
        if (m_verify)
            fill_sequence_pattern(tx, size, seq);
    }

    // Sender side. Returns false (and does nothing) when the ring is full. Records the send lag,
    // actual - intended (closed loop: from the later of intended and the last echo), so back-to-back
    // senders, which pass intended == actual, show none.
    bool sent(std::uint64_t seq, Nanos intended, Nanos actual, std::uint32_t size) noexcept;
    // Sender side, closed loop, before the next send: skips the slots of `pacer` that passed by `now`
    // (Pacer::skip_missed) and counts them skipped once counting has begun, so that sent + skipped
    // covers every slot of the measured time. Slots due from `send_until` on are none of the run's:
    // neither skipped nor counted.
    void skip_missed(Pacer& pacer, Nanos now, Nanos send_until) noexcept;

    // Receiver side: an echo of `size` bytes starting with `message` arrived at `now`. Only Ok and Bad
    // change the counts, so each message sent ends as exactly one of received, lost or errors
    // whatever the peer sends back; only echoes of messages sent (Ok, Bad, Late) count as a sign of
    // life for the peer-lost watchdog.
    // `split`: where an Ok echo's time went (kernel_split.h), recorded with its RTT.
    Echo echo(const std::byte* message, std::size_t size, Nanos now, const SplitSample& split = {}) noexcept;
    // When an outstanding message was meant to leave (open loop) or left (closed loop); 0 if unknown.
    Nanos sent_at(std::uint64_t seq) const noexcept { return m_table.peek(seq); }
    // Size of an outstanding message (stream receivers read the header first); 0 if unknown.
    std::uint32_t expected_size(std::uint64_t seq) const noexcept { return m_table.size_of(seq); }

    // Moves past resolved messages and declares lost every message older than the timeout (or all
    // outstanding ones when `all`). Returns how many are still outstanding. Called by one thread only,
    // the one that receives echoes.
    std::uint64_t expire(Nanos now, bool all = false) noexcept;
    std::uint64_t next_seq() const noexcept { return m_next.load(std::memory_order_acquire); }
    std::uint64_t outstanding() const noexcept {
        return next_seq() - m_oldest.load(std::memory_order_acquire);
    }
    // Time the oldest outstanding message was sent (0 if none).
    Nanos oldest_sent() const noexcept { return m_table.peek(m_oldest.load(std::memory_order_acquire)); }

private:
    Echo stray() noexcept;
    bool counted(std::uint64_t seq) const noexcept {
        return seq >= m_first_counted.load(std::memory_order_acquire);
    }

    Recorder& m_recorder;
    InFlightTable m_table;
    const bool m_open_loop;
    const bool m_verify;
    const bool m_bursts;
    const Nanos m_timeout;
    const std::atomic<Nanos>& m_measure_from;
    std::atomic<std::uint64_t> m_first_counted{UINT64_MAX};
    std::atomic<std::uint64_t> m_next{0};
    Nanos m_last_intended = -1;             // sender thread only
    Nanos m_last_echo = 0;                  // closed loop only (one thread sends and receives)
    std::atomic<std::uint64_t> m_oldest{0}; // advanced only by the thread that calls expire()
};

// A closed-loop stream waits for the echo of its one message: anything else it reads there (a
// duplicate, a sequence number never sent after a stray or corrupted byte) means the stream is out
// of step and will not come back in step. The run's error for such an echo; empty for Ok and for
// Corrupt (a payload changed in place leaves the stream in step; it is counted as an error).
std::string closed_stream_echo_error(EchoBook::Echo echo);

} // namespace le
