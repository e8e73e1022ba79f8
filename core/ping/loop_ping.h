#pragma once

#include "datagram_batch.h"
#include "echo_book.h"
#include "echo_stream.h"
#include "pacer.h"
#include "ping_engine.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace le {

// What the single-thread event-loop engines (uring, libuv) share: the data path's state machine of
// the asio engine (asio_ping.cpp) with the event loop left out. All of it runs on the loop's thread.
// An engine adds its loop: it calls plan_send() from its schedule_send() and waits or sends as told,
// reports completions (send_done, received, tick, woken), and closes its I/O in close_io().
class LoopPing : public PingEngine {
public:
    void tasks_changed() final;

protected:
    explicit LoopPing(PingContext& context);

    enum class Plan { Nothing, Wait, Send };
    struct NextSend {
        Plan plan = Plan::Nothing;
        Nanos at = 0; // Wait: wake up then (or sooner); Send: the message's due time
    };
    // Where the sending stands: nothing to do now (busy, waiting for the echo in closed loop, or
    // done), wait until `at`, or send now (the pacer's due time has come; closed loop spins the last
    // stretch before it here, open loop returns a wait until now: one turn of the loop, echoes read). Follows
    // live rate and payload changes, notices send_until.
    NextSend plan_send();
    // Stamps the next message; its size, or 0 when the echo ring is full (open loop far behind:
    // wait briefly and plan again).
    std::uint32_t begin_send(Nanos due);
    // The message went out whole.
    void send_done();
    // Open loop over datagrams (batching()): sends every message due now on the connected datagram
    // socket `fd` at once (DatagramBatch), in place of begin_send(). Returns 0 when the next send can
    // be planned at once, else when to plan it after the loop has turned (at once when more are due,
    // so the echoes are read in between; a little later when the socket or the echo ring is full).
    Nanos send_batch(int fd);
    bool batching() const noexcept { return m_batching; }
    // Bytes of echoes arrived: one datagram, or a stream chunk; `split`: where the time of an echo
    // they complete went (closed loop with the kernel split), `t_recv` when they were read (0: now).
    void received(const std::byte* data, std::size_t n, const SplitSample& split = {}, Nanos t_recv = 0);
    // Echoes were booked by the engine itself (DatagramReceive): what received() does after booking.
    void after_echoes();
    // When the send call of the last message began (begin_send), for the kernel split.
    Nanos last_send_call() const noexcept { return m_t_send; }
    // Every 10 ms: aborts, counts overdue messages lost, notices the end of the run.
    void tick();
    // A wake-up from the control path: aborts, or returns true when the task count changed.
    bool woken();
    void fail(std::string error);

    // The engine's own: wait or send as plan_send() says.
    virtual void schedule_send() = 0;
    // The engine's own: stop its tasks and receives and shut the socket down (the loop ends).
    virtual void close_io() = 0;
    // Wakes the loop's thread from another (for tasks_changed()).
    virtual void wake() = 0;

    PingContext& m_ctx;
    const bool m_stream;
    EchoBook m_book;
    EchoStream m_echoes;
    std::vector<std::byte> m_tx; // the pattern, stamped with each message's sequence number
    const bool m_batching;       // datagrams in open loop, no payload verification
    DatagramBatch m_batch;
    Pacer m_pacer;
    LiveSnapshot m_snapshot{};
    bool m_send_busy = false;
    bool m_finished = false;

private:
    void check_done();
    void finish();
    bool open_loop() const { return m_ctx.config.open_loop; }

    std::uint64_t m_seq = 0;
    Nanos m_t_send = 0;
    bool m_sending = true;
    std::atomic<bool> m_tasks_changed{false};
    std::string m_error;
};

} // namespace le
