#pragma once

#include "thread_ping.h"

#include <string>

namespace le {

// The spin engine: one dedicated data-path thread that never sleeps. It polls the socket with
// non-blocking calls (MSG_DONTWAIT) in a busy loop and spins on the clock for the pacer, so an echo
// is seen within one poll turn instead of after a wake-up, at the price of one core at 100% for
// the whole run, whatever the rate. One thread does everything, in open loop too: a poll turn
// sends the message that is due, if any, then reads what arrived. Compute tasks are OS threads
// (as in the blocking engine) competing with it for the remaining cores.
class SpinPing final : public ThreadPing {
public:
    SpinPing(PingContext& context, Fd socket);
    ~SpinPing() override;

    void start() override;

private:
    void closed_loop();
    bool exchange(std::uint64_t seq, Nanos intended, Nanos t_send, std::size_t size);
    void open_loop();
    bool spin_until(Nanos due, std::uint64_t gen) const noexcept;
    void fail(std::string error);
    Nanos send_until() const noexcept { return m_ctx.send_until.load(std::memory_order_relaxed); }

    std::string m_error; // data-path thread only
};

} // namespace le
