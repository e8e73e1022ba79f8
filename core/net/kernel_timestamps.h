#pragma once

#include "endpoint.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/socket.h>
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

// Asks for RX software timestamps only, on a socket that receives requests (a pong's UDP socket).
// Empty when they work, else why not.
std::string enable_rx_timestamps(int fd);

// recvfrom() that also returns the RX software timestamp of the datagram (0 when the kernel gave
// none). Same return and errno as recvfrom().
ssize_t recvfrom_stamped(int fd, void* buf, std::size_t n, int flags, sockaddr* from, socklen_t* from_len,
                         std::int64_t& rx_realtime_ns) noexcept;

// recv() that also returns the RX software timestamp of what it read (for a stream, of the last
// segment it read from; 0 when the kernel gave none). Same return and errno as recv().
ssize_t recv_stamped(int fd, void* buf, std::size_t n, int flags, std::int64_t& rx_realtime_ns) noexcept;

// Room for one received message's control data (SCM_TIMESTAMPING, or an extended error with it), for
// callers that read many messages at once (recvmmsg); aligned as cmsghdr.
union StampControl {
    char buf[256];
    cmsghdr align;
};

// The RX software timestamp (realtime ns) in the control data of a message recvmsg/recvmmsg read
// with a StampControl; 0 when the kernel gave none.
std::int64_t rx_stamp_of(const msghdr& msg) noexcept;

// A TX timestamp read back from the error queue: the id (OPT_ID) of the datagram, or of a stream's
// byte, and when it left (realtime ns).
struct TxStamp {
    std::uint32_t key = 0;
    std::int64_t realtime_ns = 0;
};
inline constexpr std::size_t kMaxTxStampsPerRead = 64;

// Reads the TX timestamps waiting in `fd`'s error queue without blocking, at most `max` (up to
// kMaxTxStampsPerRead) in one recvmmsg, into `out`; other entries there (an ICMP error) are skipped.
// Returns how many it stored; fewer than `max` means the queue is empty now.
std::size_t read_tx_stamps(int fd, TxStamp* out, std::size_t max) noexcept;

// Reads the TX timestamps waiting in `fd`'s error queue without blocking, up to the one whose id is
// `key`, and returns it (0 when it is not there). Stamps before it (messages given up on) are dropped.
// One system call when the stamp is the first one queued (closed loop).
std::int64_t take_tx_stamp(int fd, std::uint32_t key) noexcept;

} // namespace le
