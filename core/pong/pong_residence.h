#pragma once

#include "clock_offset.h"
#include "kernel_timestamps.h"
#include "phased_buffers.h"
#include "split_stats.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <sys/socket.h>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace le {

// Where a pong of ours keeps its residence times (split_stats.h's ResidenceData) for the ping
// session to take at each interval boundary.
using ResidenceRecorder = PhasedBuffers<ResidenceData>;

// One serving thread's measure of its residence: the kernel's RX software stamp of a request to the
// moment the send call of its echo begins. A UDP request is a datagram. A stream has no message
// boundaries (a pong echoes bytes): there the request is one read, its stamp the one recvmsg
// delivers with it (TCP: of the last segment the read consumed), and the residence runs to the
// send call that starts echoing those bytes; one residence per read, which is one per message while
// one message is in flight (closed loop). Off (no recorder), every call is the
// plain one and nothing is measured. Per message: a recvmsg instead of recvfrom, a clock read before
// the send, and after it a resample of the realtime-monotonic offset (clock_offset.h: a clock step
// discards the residence) and one histogram record through the recorder; no allocation, no lock.
class ResidenceMeter {
public:
    // `sink` null: off. The socket `fd` must have RX stamps on (enable_rx_timestamps()).
    explicit ResidenceMeter(ResidenceRecorder* sink) noexcept;

    bool on() const noexcept { return m_sink != nullptr; }
    // recvfrom(), keeping the datagram's RX stamp (realtime, 0 = none) in `rx`; off, the plain call.
    ssize_t recvfrom(int fd, void* buf, std::size_t n, int flags, sockaddr* from, socklen_t* from_len,
                     std::int64_t& rx) noexcept {
        rx = 0;
        return m_sink ? recvfrom_stamped(fd, buf, n, flags, from, from_len, rx)
                      : ::recvfrom(fd, buf, n, flags, from, from_len);
    }
    // recv() on a stream, keeping the RX stamp of what it read (0 = none) in `rx`; off, the plain call.
    ssize_t recv(int fd, void* buf, std::size_t n, int flags, std::int64_t& rx) noexcept {
        rx = 0;
        return m_sink ? recv_stamped(fd, buf, n, flags, rx) : ::recv(fd, buf, n, flags);
    }
    // The monotonic time at which a send call begins, when on (0 when off: no clock read).
    Nanos send_begins() const noexcept { return m_sink ? now_ns() : 0; }
    // The echo of the request stamped `rx` was sent by a call that began at `t_send`: records the
    // residence, or counts the request as unstamped or discarded. Inline when off: a branch, no call.
    void sent(std::int64_t rx, Nanos t_send) noexcept {
        if (m_sink)
            record(rx, t_send);
    }

private:
    void record(std::int64_t rx, Nanos t_send) noexcept;

    ResidenceRecorder* m_sink;
    RealtimeBridge m_clock;
};

// A pong's residence recorders: one shared by the single-writer paths (a UDP socket's thread or
// strand, a pong that serves every connection on one thread) and one per connection served by a
// thread of its own (the blocking pong), since a recorder's buffers take one writer at a time.
// take() merges them all, so no record is lost when a connection ends between two takes.
class ResidenceBook {
public:
    ResidenceRecorder& shared() noexcept { return m_shared; }
    // A recorder for one more writer (allocates its two histograms: call when a connection starts).
    ResidenceRecorder* join();
    // The writer of `r` (from join()) is done: its records go into the next take(), `r` is freed.
    void leave(ResidenceRecorder* r);
    // What every recorder measured since the last take; valid until the next take. One reader at a
    // time.
    const ResidenceData& take();

private:
    ResidenceRecorder m_shared;
    std::mutex m_mutex; // the writers' list and m_left; taken per connection and per take, never per message
    std::vector<std::unique_ptr<ResidenceRecorder>> m_writers;
    ResidenceData m_left; // of writers gone since the last take
    ResidenceData m_taken;
};

// Where one connection measures its residence: a recorder of its own from a ResidenceBook (join()),
// given back (leave()) when the lease ends, or a shared one it does not own, or none (not measured).
class ResidenceLease {
public:
    ResidenceLease() = default;
    // `book` non-null: `recorder` came from book->join() and is given back.
    ResidenceLease(ResidenceBook* book, ResidenceRecorder* recorder) noexcept
        : m_book(book)
        , m_recorder(recorder) {}
    ResidenceLease(ResidenceLease&& o) noexcept
        : m_book(std::exchange(o.m_book, nullptr))
        , m_recorder(std::exchange(o.m_recorder, nullptr)) {}
    ResidenceLease& operator=(ResidenceLease&& o) noexcept {
        if (this != &o) {
            end();
            m_book = std::exchange(o.m_book, nullptr);
            m_recorder = std::exchange(o.m_recorder, nullptr);
        }
        return *this;
    }
    ~ResidenceLease() { end(); }

    ResidenceRecorder* recorder() const noexcept { return m_recorder; }
    // Gives an own recorder back now (its records stay for the next take); then none.
    void end() {
        if (m_book)
            m_book->leave(m_recorder);
        m_book = nullptr;
        m_recorder = nullptr;
    }

private:
    ResidenceBook* m_book = nullptr;
    ResidenceRecorder* m_recorder = nullptr;
};

} // namespace le
