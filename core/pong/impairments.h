#pragma once

#include "clock.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <span>

#include <netinet/in.h>
#include <sys/socket.h>

namespace le {

// Network impairments the pong adds for demos on machines without netem: every echoed message (a
// UDP datagram; for streams every chunk read) is held for delay + uniform(-jitter, +jitter),
// clamped at 0, before it goes back; UDP datagrams are dropped with probability loss_percent.
// Streams cannot lose bytes, so loss does not apply to them; they keep their byte order (a chunk is
// never sent before the one read before it, so under jitter their holds skew upwards).
struct ImpairmentSettings {
    Nanos delay = 0;
    Nanos jitter = 0;
    double loss_percent = 0;
};

inline constexpr Nanos kMaxImpairmentDelay = 10 * kNanosPerSecond;

// Throws std::invalid_argument naming the bad value: delay and jitter 0 .. 10 s, loss 0 .. 100.
void validate_impairments(const ImpairmentSettings& s);

// The live settings of one pong, shared by all its connections. set() may be called from any
// thread at any time; the data path reads generation() once per message (one atomic load) and
// load()s the settings only when it moved.
class Impairments {
public:
    explicit Impairments(const ImpairmentSettings& initial = {}); // validates
    void set(const ImpairmentSettings& s);                        // validates first
    std::uint64_t generation() const noexcept { return m_generation.load(std::memory_order_acquire); }
    // A consistent set (a seqlock: a reader never sees half of a set() call).
    ImpairmentSettings load() const noexcept;

private:
    std::mutex m_writer;                        // serialises set() calls; readers never take it
    std::atomic<std::uint64_t> m_generation{0}; // odd while set() is writing
    std::atomic<Nanos> m_delay{0};
    std::atomic<Nanos> m_jitter{0};
    std::atomic<double> m_loss{0};
};

// The delayed echo queue of one connection or one UDP endpoint, owned by the one thread (or
// strand) that serves it. Engines receive straight into room() and send from front(), so the
// queue costs no copy; its storage is pre-sized rings allocated once, the first time impairments
// are on for this connection, so steady state allocates nothing and memory stays bounded:
// a full stream queue means "stop reading this connection" (back-pressure, as without delay), a
// full datagram queue means "drop and count".
//
// While no impairment is set and nothing is queued, bypass() is true and the engine echoes
// directly as it always did; when impairments end, the queue drains first so order is kept.
class DelayLine {
public:
    enum class Kind { Stream, Datagram };

    // Stream: 2 x kPongChunk bytes and 1024 chunks in flight; datagrams: 4 MiB and 8192 datagrams.
    DelayLine(const Impairments& impairments, Kind kind);
    ~DelayLine();
    DelayLine(const DelayLine&) = delete;
    DelayLine& operator=(const DelayLine&) = delete;

    // True when the next message may be echoed directly: no impairment set, nothing queued.
    bool bypass() noexcept {
        refresh();
        return !m_active && empty();
    }
    bool empty() const noexcept { return m_head == m_tail; }

    // Where to receive the next message into: for a stream contiguous free bytes, for datagrams
    // room for the largest one. Empty when the queue is full. Allocates the storage on first use.
    // The span stays valid until commit(), also across consumed().
    std::span<std::byte> room();
    // The n bytes just received into room() become one message, held from `now`. For datagrams
    // `from` is where the echo goes. `stamp`: the kernel's RX stamp of the datagram or of the
    // stream's read (0: none; front() gives it back, for the pong's residence). Returns false when
    // the loss setting dropped it.
    bool commit(std::size_t n, Nanos now, const sockaddr* from = nullptr, socklen_t from_len = 0,
                std::int64_t stamp = 0) noexcept;

    struct Message {
        const std::byte* data;
        std::size_t size;
        const sockaddr* to; // datagrams only
        socklen_t to_len;
        std::int64_t stamp; // as committed
        // A send of `data` begins this message's echo: always for a datagram; for a stream while
        // none of the chunk went yet (the residence ends at the send call that starts the echo).
        bool starts;
    };
    // The message due first and when it is due (only when !empty()). Streams release in order;
    // datagrams in order of due time, so jitter may reorder them as on a real network.
    Nanos next_due() const noexcept;
    Message front() const noexcept;
    // Streams: n bytes of front() went out. Datagrams: front() is done with, sent or not.
    void consumed(std::size_t n) noexcept;

private:
    struct Entry {
        Nanos due = 0;
        std::uint32_t offset = 0;
        std::uint32_t size = 0;
        bool done = false; // datagram sent out of order, its bytes freed once it reaches the head
        std::int64_t stamp = 0;
    };
    struct Address {
        sockaddr_in6 addr; // large enough for any UDP peer (IPv4 or IPv6)
        socklen_t len;
    };
    struct Storage;

    void refresh() noexcept;
    Entry& entry(std::uint64_t index) const noexcept;
    std::uint64_t front_index() const noexcept;
    bool later(std::uint64_t a, std::uint64_t b) const noexcept;

    const Impairments& m_shared;
    const Kind m_kind;
    // Settings as last loaded; refreshed when the shared generation moves.
    std::uint64_t m_generation = ~std::uint64_t{0};
    Nanos m_delay = 0;
    Nanos m_jitter = 0;
    std::uint64_t m_loss_threshold = 0; // drop when rng() < threshold
    bool m_loss_all = false;
    bool m_active = false;

    std::unique_ptr<Storage> m_storage;
    std::uint64_t m_head = 0;     // oldest entry still holding bytes
    std::uint64_t m_tail = 0;     // next entry to fill
    std::size_t m_write = 0;      // byte offset of the last room(), end of the newest entry
    std::size_t m_room = 0;       // offset room() handed out
    std::size_t m_front_sent = 0; // streams: bytes of the head entry already sent
    Nanos m_last_due = 0;         // streams: dues never go backwards
    std::size_t m_heap_size = 0;  // datagrams: pending entries, a min-heap on (due, index)
};

} // namespace le
