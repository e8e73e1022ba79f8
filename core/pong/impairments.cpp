#include "impairments.h"

#include "endpoint.h"
#include "pong_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace le {
namespace {

// Stream queue: twice the direct path's buffer, so a delayed connection streams at up to
// 128 KiB per delay before back-pressure sets in, and 1000 delayed connections stay bounded.
constexpr std::size_t kStreamBytes = 2 * kPongChunk;
constexpr std::size_t kStreamEntries = 1024;
// Smallest room handed out for a stream read, so a nearly full ring does not chop the stream into
// tiny chunks (each a syscall and an entry).
constexpr std::size_t kMinStreamRoom = 4096;
// Datagram queue: one per endpoint, so it can be generous: 4 MiB, 8192 datagrams in flight.
constexpr std::size_t kDatagramBytes = 4 * 1024 * 1024;
constexpr std::size_t kDatagramEntries = 8192;
constexpr std::size_t kDatagramRoom = kMaxUdpPayload + 1; // one more: a bigger datagram would show

std::string millis(Nanos ns) {
    return fmt::format("{:g} ms", static_cast<double>(ns) / 1e6);
}

// Distinct seeds for the lines of a process without a system call per connection.
std::uint64_t next_seed() {
    static std::atomic<std::uint64_t> counter{static_cast<std::uint64_t>(now_ns())};
    std::uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; // splitmix64 finaliser
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

void validate_impairments(const ImpairmentSettings& s) {
    if (s.delay < 0 || s.delay > kMaxImpairmentDelay)
        throw std::invalid_argument(
            fmt::format("delay must be between 0 and 10 s (got {})", millis(s.delay)));
    if (s.jitter < 0 || s.jitter > kMaxImpairmentDelay)
        throw std::invalid_argument(
            fmt::format("jitter must be between 0 and 10 s (got {})", millis(s.jitter)));
    if (!(s.loss_percent >= 0.0 && s.loss_percent <= 100.0)) // NaN fails too
        throw std::invalid_argument(fmt::format("loss must be between 0 and 100 % (got {})", s.loss_percent));
}

Impairments::Impairments(const ImpairmentSettings& initial) {
    validate_impairments(initial);
    m_delay.store(initial.delay);
    m_jitter.store(initial.jitter);
    m_loss.store(initial.loss_percent);
}

void Impairments::set(const ImpairmentSettings& s) {
    validate_impairments(s);
    std::lock_guard lock(m_writer);
    const std::uint64_t g = m_generation.load(std::memory_order_relaxed);
    m_generation.store(g + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    m_delay.store(s.delay, std::memory_order_relaxed);
    m_jitter.store(s.jitter, std::memory_order_relaxed);
    m_loss.store(s.loss_percent, std::memory_order_relaxed);
    m_generation.store(g + 2, std::memory_order_release);
}

ImpairmentSettings Impairments::load() const noexcept {
    for (;;) {
        const std::uint64_t g = m_generation.load(std::memory_order_acquire);
        if (g & 1)
            continue; // a set() is between its stores: nanoseconds
        const ImpairmentSettings s{m_delay.load(std::memory_order_relaxed),
                                   m_jitter.load(std::memory_order_relaxed),
                                   m_loss.load(std::memory_order_relaxed)};
        std::atomic_thread_fence(std::memory_order_acquire);
        if (m_generation.load(std::memory_order_relaxed) == g)
            return s;
    }
}

struct DelayLine::Storage {
    Storage(std::size_t byte_capacity_, std::size_t entry_capacity_, bool datagrams)
        : byte_capacity(byte_capacity_)
        , entry_mask(entry_capacity_ - 1)
        // for_overwrite: pages are touched only as the ring reaches them.
        , bytes(std::make_unique_for_overwrite<std::byte[]>(byte_capacity_))
        , entries(std::make_unique<Entry[]>(entry_capacity_))
        , addresses(datagrams ? std::make_unique_for_overwrite<Address[]>(entry_capacity_) : nullptr)
        , heap(datagrams ? std::make_unique_for_overwrite<std::uint64_t[]>(entry_capacity_) : nullptr)
        , rng(next_seed()) {}

    std::size_t byte_capacity;
    std::uint64_t entry_mask; // capacity - 1, a power of two
    std::unique_ptr<std::byte[]> bytes;
    std::unique_ptr<Entry[]> entries;
    std::unique_ptr<Address[]> addresses;
    std::unique_ptr<std::uint64_t[]> heap;
    std::mt19937_64 rng; // per line: no sharing, no locking
};

DelayLine::DelayLine(const Impairments& impairments, Kind kind)
    : m_shared(impairments)
    , m_kind(kind) {}

DelayLine::~DelayLine() = default;

void DelayLine::refresh() noexcept {
    const std::uint64_t g = m_shared.generation();
    if (g == m_generation)
        return;
    const ImpairmentSettings s = m_shared.load();
    m_generation = g; // if g was odd, the next call sees it move again and reloads
    m_delay = s.delay;
    m_jitter = s.jitter;
    const double p = s.loss_percent / 100.0;
    m_loss_all = p >= 1.0;
    // p < 1 times 2^64 is at most 2^64 - 2^11: no overflow.
    m_loss_threshold = (p <= 0.0 || m_loss_all) ? 0 : static_cast<std::uint64_t>(std::ldexp(p, 64));
    m_active = m_delay > 0 || m_jitter > 0 || (m_kind == Kind::Datagram && p > 0.0);
}

DelayLine::Entry& DelayLine::entry(std::uint64_t index) const noexcept {
    return m_storage->entries[index & m_storage->entry_mask];
}

// The heap's order: a min-heap on (due, arrival), so equal dues leave in arrival order.
bool DelayLine::later(std::uint64_t a, std::uint64_t b) const noexcept {
    const Nanos da = entry(a).due, db = entry(b).due;
    return da != db ? da > db : a > b;
}

std::uint64_t DelayLine::front_index() const noexcept {
    return m_kind == Kind::Stream ? m_head : m_storage->heap[0];
}

std::span<std::byte> DelayLine::room() {
    if (!m_storage) {
        const bool datagrams = m_kind == Kind::Datagram;
        m_storage = std::make_unique<Storage>(datagrams ? kDatagramBytes : kStreamBytes,
                                              datagrams ? kDatagramEntries : kStreamEntries, datagrams);
    }
    Storage& s = *m_storage;
    if (m_tail - m_head > s.entry_mask)
        return {};
    const std::size_t need = m_kind == Kind::Stream ? kMinStreamRoom : kDatagramRoom;
    std::size_t begin = 0;
    std::size_t end = s.byte_capacity;
    if (!empty()) {
        // Entries are contiguous records in arrival order from the head's offset to m_write,
        // possibly wrapped; every entry takes at least one byte, so m_write == start means full.
        const std::size_t start = entry(m_head).offset;
        if (m_write > start) {
            if (s.byte_capacity - m_write >= need)
                begin = m_write;
            else if (start >= need)
                end = start; // wrap: the bytes between m_write and the end stay unused this round
            else
                return {};
        } else {
            if (start - m_write < need)
                return {};
            begin = m_write;
            end = start;
        }
    }
    if (m_kind == Kind::Datagram)
        end = std::min(end, begin + need);
    m_room = begin;
    return {s.bytes.get() + begin, end - begin};
}

bool DelayLine::commit(std::size_t n, Nanos now, const sockaddr* from, socklen_t from_len,
                       std::int64_t stamp) noexcept {
    refresh();
    Storage& s = *m_storage;
    if (m_kind == Kind::Datagram && (m_loss_all || (m_loss_threshold != 0 && s.rng() < m_loss_threshold)))
        return false;
    Nanos hold = m_delay;
    if (m_jitter > 0)
        hold += std::uniform_int_distribution<Nanos>(-m_jitter, m_jitter)(s.rng);
    Nanos due = now + std::max<Nanos>(hold, 0);
    if (m_kind == Kind::Stream) {
        // Byte order: a chunk never leaves before the one read before it.
        due = std::max(due, m_last_due);
        m_last_due = due;
    }
    const std::uint64_t index = m_tail++;
    Entry& e = entry(index);
    e.due = due;
    e.offset = static_cast<std::uint32_t>(m_room);
    e.size = static_cast<std::uint32_t>(n);
    e.done = false;
    e.stamp = stamp;
    m_write = m_room + std::max<std::size_t>(n, 1); // an empty datagram still takes a byte
    if (m_kind == Kind::Datagram) {
        Address& a = s.addresses[index & s.entry_mask];
        a.len = std::min<socklen_t>(from_len, sizeof(a.addr));
        std::memcpy(&a.addr, from, a.len);
        s.heap[m_heap_size++] = index;
        std::push_heap(s.heap.get(), s.heap.get() + m_heap_size,
                       [this](std::uint64_t a, std::uint64_t b) { return later(a, b); });
    }
    return true;
}

Nanos DelayLine::next_due() const noexcept {
    return entry(front_index()).due;
}

DelayLine::Message DelayLine::front() const noexcept {
    const std::uint64_t index = front_index();
    const Entry& e = entry(index);
    if (m_kind == Kind::Stream)
        return {m_storage->bytes.get() + e.offset + m_front_sent,
                e.size - m_front_sent,
                nullptr,
                0,
                e.stamp,
                m_front_sent == 0};
    const Address& a = m_storage->addresses[index & m_storage->entry_mask];
    return {m_storage->bytes.get() + e.offset,
            e.size,
            reinterpret_cast<const sockaddr*>(&a.addr),
            a.len,
            e.stamp,
            true};
}

void DelayLine::consumed(std::size_t n) noexcept {
    if (m_kind == Kind::Stream) {
        m_front_sent += n;
        if (m_front_sent >= entry(m_head).size) {
            m_front_sent = 0;
            ++m_head;
        }
        return;
    }
    Storage& s = *m_storage;
    const std::uint64_t index = s.heap[0];
    std::pop_heap(s.heap.get(), s.heap.get() + m_heap_size,
                  [this](std::uint64_t a, std::uint64_t b) { return later(a, b); });
    --m_heap_size;
    entry(index).done = true;
    while (m_head != m_tail && entry(m_head).done)
        ++m_head;
}

} // namespace le
