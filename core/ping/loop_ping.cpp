#include "loop_ping.h"

#include "blocking_io.h"
#include "wire.h"

namespace le {

LoopPing::LoopPing(PingContext& context)
    : m_ctx(context)
    , m_stream(is_stream(context.config.effective_transport()))
    , m_book(context.recorder, context.config.open_loop, context.config.timeout, context.measure_from,
             echo_ring_capacity(context.config), context.config.verify_payload, context.config.burst > 1)
    , m_echoes(m_book, !context.config.open_loop)
    , m_tx(kMaxPayload)
    , m_batching(!m_stream && context.config.open_loop && !context.config.verify_payload)
    , m_batch(m_tx.data(), !context.config.kernel_timestamps) { // GSO sends: datagram_batch.h
    fill_pattern(m_tx.data(), m_tx.size());
}

void LoopPing::tasks_changed() {
    m_tasks_changed.store(true);
    wake();
}

LoopPing::NextSend LoopPing::plan_send() {
    if (m_finished || !m_sending || m_send_busy || (!open_loop() && m_book.outstanding() > 0))
        return {};
    follow_live_params(m_ctx.params, m_snapshot.generation, m_snapshot.rate, m_snapshot.payload, m_pacer,
                       m_ctx.config.burst);
    Nanos now = now_ns();
    if (!open_loop())
        m_book.skip_missed(m_pacer, now, m_ctx.send_until.load(std::memory_order_relaxed));
    if (now >= m_ctx.send_until.load(std::memory_order_relaxed)) {
        m_sending = false;
        check_done();
        return {};
    }
    const Nanos due = m_pacer.due();
    if (!m_pacer.back_to_back() && due - now > kSpinMargin)
        return {Plan::Wait, due - kSpinMargin};
    // Open loop spins its last stretch through the loop (a wait until now: one turn), not here: the
    // same thread reads the echoes, which would otherwise queue in the socket behind the spin.
    if (open_loop() && !m_pacer.back_to_back() && now < due)
        return {Plan::Wait, now};
    while (!m_pacer.back_to_back() && now < due)
        now = now_ns();
    return {Plan::Send, due};
}

std::uint32_t LoopPing::begin_send(Nanos due) {
    const auto size = static_cast<std::uint32_t>(m_snapshot.payload);
    m_book.stamp(m_tx.data(), m_seq, size);
    const Nanos t_send = now_ns();
    if (!m_book.sent(m_seq, m_pacer.back_to_back() ? t_send : due, t_send, size))
        return 0;
    m_t_send = t_send;
    m_send_busy = true;
    return size;
}

Nanos LoopPing::send_batch(int fd) {
    constexpr Nanos kRetry = 50 * kNanosPerMicro;
    const DatagramBatch::Result r = m_batch.send_due(fd, m_book, m_pacer, m_seq, m_snapshot.payload,
                                                     m_ctx.send_until.load(std::memory_order_relaxed));
    if (r.error) {
        fail(describe_errno(r.error));
        return 0;
    }
    if (r.pending || r.ring_full)
        return now_ns() + kRetry;
    return r.more_due ? now_ns() : 0;
}

void LoopPing::send_done() {
    m_send_busy = false;
    if (m_finished)
        return;
    ++m_seq;
    m_pacer.advance();
    schedule_send();
}

void LoopPing::received(const std::byte* data, std::size_t n, const SplitSample& split, Nanos t_recv) {
    if (m_finished)
        return;
    if (t_recv == 0)
        t_recv = now_ns();
    if (!m_stream) {
        m_book.echo(data, n, t_recv, split);
    } else if (!m_echoes.feed(data, n, t_recv, split)) {
        fail(m_echoes.error());
        return;
    }
    m_book.expire(t_recv); // moves past the echoed message, and counts overdue ones lost
    after_echoes();
}

void LoopPing::after_echoes() {
    if (m_finished)
        return;
    if (!m_sending)
        check_done();
    else
        schedule_send();
}

void LoopPing::tick() {
    if (m_finished)
        return;
    if (m_ctx.abort.load()) {
        finish();
        return;
    }
    const Nanos now = now_ns();
    const bool overdue = now - m_ctx.config.timeout >= m_ctx.send_until.load();
    // A stream echo is latency, not loss, until sending has stopped for a timeout.
    if (!m_stream || open_loop() || overdue)
        m_book.expire(now, overdue);
    if (m_sending)
        schedule_send(); // also notices send_until and a send slot freed by a loss
    check_done();
}

bool LoopPing::woken() {
    if (m_finished)
        return false;
    if (m_ctx.abort.load()) {
        finish();
        return false;
    }
    return m_tasks_changed.exchange(false);
}

void LoopPing::check_done() {
    if (!m_sending && !m_send_busy && m_book.outstanding() == 0)
        finish();
}

void LoopPing::fail(std::string error) {
    if (m_error.empty())
        m_error = std::move(error);
    finish();
}

void LoopPing::finish() {
    if (m_finished)
        return;
    m_finished = true;
    m_sending = false;
    m_book.expire(now_ns(), true);
    close_io();
    if (m_ctx.on_finished)
        m_ctx.on_finished(m_error);
}

} // namespace le
