#pragma once

#include "endpoint.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace le {

// The kernel's software timestamps of a socket (SO_TIMESTAMPING): when a message left the stack
// (TX, read back from the socket's error queue) and when one arrived (RX, a control message of
// recvmsg). Both are CLOCK_REALTIME nanoseconds; clock_offset.h converts them.
struct StampAbility {
    bool tx = false;
    bool rx = false;
    std::string reason; // what is missing and why; empty when both work
};

// Asks for software TX and RX timestamps on `fd` (a connected socket of `transport`, before any data
// was sent on it: TX keys count from here). TX stamps come with an id (OPT_ID: the datagram's index,
// or for a stream the offset of the last byte of the send call) and without the packet (OPT_TSONLY).
// Unix stream sockets have neither: their ability says so.
StampAbility enable_kernel_timestamps(int fd, Transport transport);

// recv() that also returns the RX software timestamp of what it read (for a stream, of the last
// segment it read from; 0 when the kernel gave none). Same return and errno as recv().
ssize_t recv_stamped(int fd, void* buf, std::size_t n, int flags, std::int64_t& rx_realtime_ns) noexcept;

// Reads the TX timestamps waiting in `fd`'s error queue without blocking, up to the one whose id is
// `key`, and returns it (0 when it is not there). Stamps before it (messages given up on) are dropped.
// One system call when the stamp is the first one queued (closed loop).
std::int64_t take_tx_stamp(int fd, std::uint32_t key) noexcept;

} // namespace le
