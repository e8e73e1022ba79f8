#include "thread_ping.h"

#include "wire.h"

namespace le {

ThreadPing::ThreadPing(PingContext& context, Fd socket)
    : m_ctx(context)
    , m_fd(std::move(socket))
    , m_stream(is_stream(context.config.effective_transport()))
    , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
             echo_ring_capacity(context.config), context.config.verify_payload, context.config.burst > 1)
    , m_split(m_fd.get(), context.config.effective_transport(),
              context.config.kernel_timestamps && !context.config.open_loop)
    , m_open_split(m_fd.get(), context.config)
    , m_tasks(context.params)
    , m_tx(kMaxPayload)
    , m_rx(kMaxPayload + 1)
    , m_batching(!m_stream && context.config.open_loop && !context.config.verify_payload)
    , m_batch(m_tx.data(), !context.config.kernel_timestamps) // GSO sends: datagram_batch.h
    , m_stream_batching(m_stream && context.config.open_loop && !context.config.verify_payload) {
    fill_pattern(m_tx.data(), m_tx.size());
    if (m_stream && context.config.open_loop)
        m_echoes.emplace(m_book, false);
}

std::string ThreadPing::split_unavailable() const {
    return le::split_unavailable(m_ctx.config, m_split, m_open_split);
}

void ThreadPing::join() {
    for (std::thread& t : m_threads)
        if (t.joinable())
            t.join();
    m_tasks.stop();
}

void ThreadPing::abort_and_join() {
    m_ctx.abort.store(true);
    join();
}

} // namespace le
