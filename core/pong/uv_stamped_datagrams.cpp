#include "uv_stamped_datagrams.h"

#include "uv_setup.h"

#include <utility>

namespace le {

UvStampedDatagrams::UvStampedDatagrams(uv_loop_t& loop, Fd fd, ResidenceRecorder* sink,
                                       const Impairments& impairments, PongStats& stats)
    : m_loop(loop)
    , m_fd(std::move(fd))
    , m_line(impairments, DelayLine::Kind::Datagram)
    , m_echo(m_fd.get(), sink, m_line, stats) {
    uv_timer_init(&m_loop, &m_timer);
    m_timer.data = this;
}

int UvStampedDatagrams::start() {
    if (const int r = uv_poll_init_socket(&m_loop, &m_poll, m_fd.get()); r < 0)
        return r;
    m_poll_open = true;
    m_poll.data = this;
    return uv_poll_start(&m_poll, UV_READABLE, &UvStampedDatagrams::on_readable);
}

void UvStampedDatagrams::close() {
    if (m_poll_open)
        uv_close(as_handle(&m_poll), nullptr);
    uv_close(as_handle(&m_timer), nullptr);
}

void UvStampedDatagrams::on_readable(uv_poll_t* handle, int status, int) {
    auto& self = *static_cast<UvStampedDatagrams*>(handle->data);
    // libuv polls level-triggered: what a wake-up leaves waiting wakes it again. The reads also clear an ICMP
    // error an earlier client left, which libuv reports as UV_EBADF and stops the poll for: it starts again.
    self.m_echo.drain(StampedDatagrams::kPerWake, false);
    if (status == UV_EBADF)
        uv_poll_start(&self.m_poll, UV_READABLE, &UvStampedDatagrams::on_readable);
    if (!self.m_line.empty())
        self.release();
}

// Sends the datagrams that are due and waits for the next one (the earliest due, in order of due time).
void UvStampedDatagrams::release() {
    m_echo.release_due(now_ns());
    if (m_line.empty() || uv_is_closing(as_handle(&m_timer)))
        return;
    uv_timer_start(
        &m_timer, [](uv_timer_t* t) { static_cast<UvStampedDatagrams*>(t->data)->release(); },
        timer_ms(&m_loop, m_line.next_due()), 0);
}

} // namespace le
