#pragma once

#include "echo_book.h"
#include "ping_engine.h"
#include "thread_tasks.h"

#include <string>
#include <thread>
#include <vector>

namespace le {

// The spin engine: one dedicated data-path thread that never sleeps. It polls the socket with
// non-blocking calls (MSG_DONTWAIT) in a busy loop and spins on the clock for the pacer, so an echo
// is seen within one poll turn instead of after a wake-up, at the price of one core at 100% for
// the whole run, whatever the rate. One thread does everything, in open loop too: a poll turn
// sends the message that is due, if any, then reads what arrived. Compute tasks are OS threads
// (as in the blocking engine) competing with it for the remaining cores.
class SpinPing final : public PingEngine {
public:
    SpinPing(PingContext& context, Fd socket);
    ~SpinPing() override;

    void start() override;
    void tasks_changed() override { m_tasks.update(); }
    void join() override;

private:
    void closed_loop();
    bool exchange(std::uint64_t seq, Nanos intended, Nanos t_send, std::size_t size);
    void open_loop();
    bool spin_until(Nanos due, std::uint64_t gen) const noexcept;
    void fail(std::string error);
    bool should_abort() const noexcept { return m_ctx.abort.load(std::memory_order_relaxed); }
    Nanos send_until() const noexcept { return m_ctx.send_until.load(std::memory_order_relaxed); }

    PingContext& m_ctx;
    Fd m_fd;
    const bool m_stream;
    EchoBook m_book;
    ThreadTasks m_tasks;
    std::vector<std::byte> m_tx;
    std::vector<std::byte> m_rx;
    std::thread m_thread;
    std::string m_error; // data-path thread only
};

} // namespace le
