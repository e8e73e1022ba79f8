#include "uring_pong.h"

#include "uring_echo.h"
#include "uring_loop.h"
#include "uring_tasks.h"

#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <thread>
#include <vector>

namespace le {
namespace {

constexpr Nanos kAcceptRetry = 10 * kNanosPerMilli; // after EMFILE and the like

class UringPong;

struct Listener final : UringOp {
    Listener(UringPong& p, Fd descriptor, bool tcp_endpoint, ResidenceRecorder* recorder)
        : pong(p)
        , fd(std::move(descriptor))
        , tcp(tcp_endpoint)
        , residence(recorder) {}
    void complete(int res, unsigned flags) override;
    UringPong& pong;
    Fd fd;
    bool tcp;
    ResidenceRecorder* residence; // its connections measure into it (null: not measured)
    __kernel_timespec retry_ts{};
    void retry(int, unsigned);
    BoundOp<Listener, &Listener::retry> retry_op{*this};
};

class UringPong final : public PongBase {
public:
    UringPong(const PongConfig& config, bool sqpoll)
        : PongBase(config)
        , m_loop(sqpoll)
        , m_tasks(m_loop, m_params) {
        m_loop.set_wake_handler(&m_wake_op);
        std::vector<Fd> sockets = bind_endpoints();
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            const Transport t = m_endpoints[i].transport;
            if (t == Transport::Udp) {
                ResidenceRecorder* residence = residence_for(sockets[i].get());
                m_datagrams.push_back(std::make_unique<UringDatagramEcho>(m_loop, m_stats, m_impairments,
                                                                          std::move(sockets[i]), residence));
            } else {
                ResidenceRecorder* residence =
                    t == Transport::Tcp ? residence_for(sockets[i].get()) : nullptr;
                m_listeners.push_back(
                    std::make_unique<Listener>(*this, std::move(sockets[i]), t == Transport::Tcp, residence));
            }
        }
        for (auto& l : m_listeners)
            accept(*l);
        for (auto& d : m_datagrams)
            d->start();
        m_tasks.update();
        m_thread = std::thread([this] {
            try {
                while (!m_done)
                    m_loop.run_once();
            } catch (const std::runtime_error&) { // io_uring_enter itself failed: serving ends
                m_tasks.stop();
                m_done = true;
            }
        });
    }

    ~UringPong() override { stop(); }

    void stop() override {
        if (m_stopped.exchange(true))
            return;
        m_loop.wake();
        if (m_thread.joinable())
            m_thread.join();
        m_loop.close(); // nothing completes any more: the connections can go
        m_stats.active -= static_cast<std::int64_t>(m_connections.size());
        m_connections.clear();
        m_listeners.clear();
        m_datagrams.clear();
        remove_socket_files();
    }

    void accept(Listener& l) {
        io_uring_prep_multishot_accept(m_loop.sqe(l), l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    }

    void accepted(Listener& l, int res, unsigned flags) {
        if (m_done)
            return;
        if (res < 0) {
            if (res == -ECANCELED)
                return;
            // Out of descriptors: back off instead of spinning, and say why nobody gets in.
            m_stats.accept_error.store(-res, std::memory_order_relaxed);
            if (flags & IORING_CQE_F_MORE)
                return; // the accept goes on by itself
            m_loop.timeout_at(l.retry_op, l.retry_ts, now_ns() + kAcceptRetry);
            return;
        }
        m_stats.accept_error.store(0, std::memory_order_relaxed);
        if (!(flags & IORING_CQE_F_MORE))
            accept(l);
        if (m_stats.active.load() >= m_config.max_connections) {
            m_stats.refused++;
            ::close(res); // the client sees EOF rather than a hang
            return;
        }
        m_stats.accepted++;
        m_stats.active++;
        if (l.tcp)
            set_nodelay(res);
        // One thread serves them all: the listener's recorder is theirs.
        ResidenceRecorder* residence = residence_for_connection(res, l.residence, false).recorder();
        auto c = std::make_unique<UringStreamEcho>(
            m_loop, m_stats, m_impairments, res, [this](UringStreamEcho& gone) { drop(gone); }, residence);
        c->index = m_connections.size();
        m_connections.push_back(std::move(c));
        m_connections.back()->start();
    }

    void drop(UringStreamEcho& c) {
        m_stats.active--;
        const std::size_t i = c.index;
        std::swap(m_connections[i], m_connections.back());
        m_connections[i]->index = i;
        m_connections.pop_back(); // c is gone
    }

    void retry_accept(Listener& l) {
        if (!m_done)
            accept(l);
    }

private:
    void woken(int, unsigned) {
        if (!m_stopped.load())
            return;
        m_tasks.stop();
        m_done = true;
    }

    UringLoop m_loop;
    UringTasks m_tasks;
    BoundOp<UringPong, &UringPong::woken> m_wake_op{*this};
    std::vector<std::unique_ptr<Listener>> m_listeners;
    std::vector<std::unique_ptr<UringDatagramEcho>> m_datagrams;
    std::vector<std::unique_ptr<UringStreamEcho>> m_connections; // loop thread only
    std::thread m_thread;
    std::atomic<bool> m_stopped{false};
    bool m_done = false; // loop thread only
};

void Listener::complete(int res, unsigned flags) {
    pong.accepted(*this, res, flags);
}
void Listener::retry(int, unsigned) {
    pong.retry_accept(*this);
}

} // namespace

std::unique_ptr<PongServer> make_uring_pong(const PongConfig& config, bool sqpoll) {
    try {
        return std::make_unique<UringPong>(config, sqpoll);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(
            fmt::format("cannot start the {} pong: {}", sqpoll ? "uring-sqpoll" : "uring", e.what()));
    }
}

} // namespace le
