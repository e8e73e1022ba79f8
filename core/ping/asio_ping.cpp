#include "asio_ping.h"

#include "asio_ping_engine.h"

namespace le {
namespace asio_ping_detail {

template <bool Stream, bool Pool>
void AsioPing<Stream, Pool>::stamped_receive(std::size_t want, std::size_t got) {
    m_socket.async_wait(Socket::wait_read, on_path([this, want, got](const std::error_code& ec) {
                            if (ec) {
                                received(ec, 0);
                                return;
                            }
                            std::size_t have = got;
                            for (;;) {
                                const std::size_t room = Stream ? want - have : m_rx.size();
                                const ssize_t r = m_split.recv(m_socket.native_handle(), m_rx.data() + have,
                                                               room, MSG_DONTWAIT);
                                if (r > 0 || (r == 0 && !Stream)) {
                                    have += static_cast<std::size_t>(r);
                                    if (!Stream || have == want) {
                                        received({}, have);
                                        return;
                                    }
                                } else if (r == 0) {
                                    received(asio::error::eof, have);
                                    return;
                                } else if (would_block(errno)) {
                                    m_split.take_tx_early(); // a TX stamp woke us: no wake-up for it again
                                    stamped_receive(want, have);
                                    return;
                                } else {
                                    received(std::error_code(errno, std::system_category()), have);
                                    return;
                                }
                            }
                        }));
}

template <bool Stream, bool Pool> void AsioPing<Stream, Pool>::receive() {
    if (!Stream && m_split.on()) {
        stamped_receive(0, 0);
        return;
    }
    if (!Stream && (m_open_split.on() || m_receive.gro())) {
        split_receive();
        return;
    }
    if constexpr (Stream) {
        if (m_echoes) {
            // Whatever has arrived, cut into echoes: one read for many messages at high rates.
            m_socket.async_read_some(asio::buffer(m_rx),
                                     on_path([this](const std::error_code& ec, std::size_t n) {
                                         const Nanos t_recv = now_ns();
                                         if (ec) {
                                             received(ec, 0);
                                             return;
                                         }
                                         if (!m_echoes->feed(m_rx.data(), n, t_recv)) {
                                             fail(m_echoes->error());
                                             return;
                                         }
                                         m_book.expire(t_recv);
                                         receive();
                                         if (!m_sending)
                                             check_done();
                                     }));
            return;
        }
        asio::async_read(m_socket, asio::buffer(m_rx.data(), kSequenceBytes),
                         on_path([this](const std::error_code& ec, std::size_t) {
                             if (ec) {
                                 received(ec, 0);
                                 return;
                             }
                             const std::uint32_t size = m_book.expected_size(read_sequence(m_rx.data()));
                             if (size < kSequenceBytes) {
                                 fail("echo stream out of sync: unknown sequence number");
                                 return;
                             }
                             asio::async_read(
                                 m_socket, asio::buffer(m_rx.data() + kSequenceBytes, size - kSequenceBytes),
                                 on_path([this](const std::error_code& ec2, std::size_t n) {
                                     received(ec2, n + kSequenceBytes);
                                 }));
                         }));
    } else {
        m_socket.async_receive(asio::buffer(m_rx), on_path([this](const std::error_code& ec, std::size_t n) {
                                   received(ec, n);
                               }));
    }
}

template <bool Stream, bool Pool>
void AsioPing<Stream, Pool>::received(const std::error_code& ec, std::size_t n) {
    const Nanos t_recv = now_ns();
    if (ec) {
        if (ec != asio::error::operation_aborted)
            fail(describe(ec));
        return;
    }
    const EchoBook::Echo echo = m_book.echo(m_rx.data(), n, t_recv, m_split.finish(m_t_send, t_recv));
    if (Stream && !open_loop() && !closed_stream_echo_error(echo).empty()) {
        fail(closed_stream_echo_error(echo));
        return;
    }
    m_book.expire(t_recv); // moves past the echoed message, and counts overdue ones lost
    if (m_batching && !drain_echoes())
        return;
    if (!Stream || open_loop())
        receive();
    if (!m_sending)
        check_done();
    else if (!open_loop()) // open loop sends on its own schedule, not on echoes
        schedule_send();
}

template <bool Stream, bool Pool> bool AsioPing<Stream, Pool>::drain_echoes() {
    for (int i = 0; i < kMaxDrainBatches; ++i) {
        const DatagramReceive::Result r = m_receive.receive(m_socket.native_handle(), m_book);
        if (r.error) {
            fail(describe(std::error_code(r.error, std::system_category())));
            return false;
        }
        if (!r.full)
            break;
    }
    return true;
}

template <bool Stream, bool Pool> void AsioPing<Stream, Pool>::split_receive() {
    m_socket.async_wait(Socket::wait_read, on_path([this](const std::error_code& ec) {
                            if (ec)
                                received(ec, 0);
                            else
                                split_read();
                        }));
}

template <bool Stream, bool Pool> void AsioPing<Stream, Pool>::split_read() {
    for (int i = 0; i < kMaxDrainBatches; ++i) {
        const DatagramReceive::Result r =
            m_receive.receive(m_socket.native_handle(), m_book, false, &m_open_split);
        if (r.error) {
            fail(describe(std::error_code(r.error, std::system_category())));
            return;
        }
        if (!r.full) { // the socket is empty: wait for the next
            if (!m_sending)
                check_done();
            split_receive();
            return;
        }
    }
    // More may wait: read on after what is queued (the sends due meanwhile), not after a wake-up
    // that already happened (a readiness wait reports new arrivals, not what is left).
    asio::post(m_path, [this] { split_read(); });
}

} // namespace asio_ping_detail

using asio_ping_detail::AsioPing;

std::unique_ptr<PingEngine> make_asio_ping(PingContext& context, Fd socket, int threads) {
    const bool stream = is_stream(context.config.effective_transport());
    if (threads > 1) {
        if (stream)
            return std::make_unique<AsioPing<true, true>>(context, std::move(socket), threads);
        return std::make_unique<AsioPing<false, true>>(context, std::move(socket), threads);
    }
    if (stream)
        return std::make_unique<AsioPing<true, false>>(context, std::move(socket), 1);
    return std::make_unique<AsioPing<false, false>>(context, std::move(socket), 1);
}

} // namespace le
