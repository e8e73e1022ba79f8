#pragma once

#include "pacer.h"
#include "thread_ping.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/uio.h>

namespace le {

// The blocking engine: the data path on one thread of its own that sleeps in the kernel between
// messages (closed loop: blocking calls; open loop: ppoll between non-blocking sends and reads),
// compute tasks as OS threads that compete with it for the cores. This is what most hand-written
// ping-pong tools do.
class BlockingPing final : public ThreadPing {
public:
    BlockingPing(PingContext& context, Fd socket);
    ~BlockingPing() override;

    void start() override;

private:
    void closed_loop();
    // Reads the echo of the message whose send call began at `t_send`.
    bool await_echo(std::size_t payload, Nanos t_send);
    // Open loop over datagrams without payload verification: one thread sends every message due
    // (one sendmmsg), reads every echo waiting (one recvmmsg) and sleeps in ppoll until an echo or
    // the next due time. A sender and a receiver on one CPU (a pinned run) fought over it: the
    // sender's spin to its due time kept the receiver waiting a scheduler turn, and its send lag
    // reached a whole period from 20k msg/s.
    void open_loop_datagrams();
    // Open loop otherwise (streams, and datagrams with payload verification), one thread too, for
    // the same reason (a sender and a receiver thread, fighting over the one CPU of a pinned run,
    // met the capacity criteria over TCP and Unix only up to 10k msg/s): it writes every message due
    // without blocking (a stream's in one gathered write: a send per message reached about a tenth
    // of its rate), reads every echo waiting without blocking, and sleeps in ppoll until an echo, room
    // for a blocked write, or the next due time less kSpinMargin.
    void open_loop_messages();
    // Books every message due by now (at most DatagramBatch::kMax, none at or after `send_until`),
    // each stamped with its own payload in its own stretch of m_tx, one buffer each into `iov`;
    // advances `pacer` and `seq`. Returns how many; `ring_full` when the echo book refused one.
    int book_stamped(iovec* iov, Pacer& pacer, std::uint64_t& seq, std::size_t payload, Nanos send_until,
                     bool& ring_full) noexcept;
    // Reads the echoes waiting, without blocking. Returns how many reads brought something, or -1
    // when the run has to end (m_error says why, unless it was an abort).
    int read_echoes(int fd);
    void fail(std::string error);
    void finish();

    std::string m_error; // the data path's thread's alone
};

} // namespace le
