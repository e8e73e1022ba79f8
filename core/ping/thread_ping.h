#pragma once

#include "datagram_batch.h"
#include "datagram_receive.h"
#include "echo_book.h"
#include "echo_stream.h"
#include "kernel_split.h"
#include "open_loop_split.h"
#include "ping_engine.h"
#include "start_thread.h"
#include "thread_tasks.h"

#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

namespace le {

// What the blocking and spin engines share: the data path runs on threads of the engine's own and
// uses the connected socket as a plain descriptor; the echo book and the message buffers are its
// alone; the compute tasks are OS threads, started at construction (on the constructing thread's
// CPUs, which is how a pinned run places them). Each engine adds only its loops.
class ThreadPing : public PingEngine {
public:
    // A refused thread leaves params.tasks at the count that runs, and the ThreadStartError goes on.
    void tasks_changed() final {
        try {
            m_tasks.update();
        } catch (const ThreadStartError&) {
            m_ctx.params.tasks = m_tasks.running();
            throw;
        }
    }
    // Joins every thread in m_threads (after send_until or abort), then stops the compute tasks.
    // Called again it does nothing more.
    void join() final;
    std::string split_unavailable() const final;

protected:
    // `socket` is connected to the peer; the buffers are sized for the largest payload.
    ThreadPing(PingContext& context, Fd socket);
    // Sets abort and joins. Each engine's destructor calls it first, while the members its threads
    // use still exist.
    void abort_and_join();
    bool should_abort() const noexcept { return m_ctx.abort.load(std::memory_order_relaxed); }

    PingContext& m_ctx;
    Fd m_fd;
    const bool m_stream;
    EchoBook m_book;
    KernelSplit m_split;        // closed loop with config.kernel_timestamps; off otherwise
    OpenLoopSplit m_open_split; // open loop over datagrams with config.kernel_timestamps (m_receive uses it)
    ThreadTasks m_tasks;
    std::vector<std::byte> m_tx; // the pattern, stamped with each message's sequence number
    std::vector<std::byte> m_rx; // one byte more than the largest payload: a too-long datagram shows
    const bool m_batching;       // datagrams in open loop, no payload verification: m_batch sends,
    DatagramBatch m_batch;       // m_receive reads
    DatagramReceive m_receive;
    // Open-loop streams: m_echoes cuts what arrives into echoes; without payload verification the
    // sender books every message due with m_batch and writes them in one gathered write.
    std::optional<EchoStream> m_echoes;
    const bool m_stream_batching;
    std::vector<std::thread> m_threads; // the data path's, started by start()
};

} // namespace le
