#include "uv_setup.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace le {
namespace {

std::atomic<bool> g_libuv_set_up{false};

} // namespace

void init_uv_loop(uv_loop_t& loop) {
    if (!g_libuv_set_up.load()) {
        // The loop's epoll descriptor, then the signal pipe, then its async eventfd: four will do.
        int fds[4];
        const bool ok = pipe2(fds, O_CLOEXEC) == 0;
        const int err = errno;
        const bool ok2 = ok && pipe2(fds + 2, O_CLOEXEC) == 0;
        const int err2 = errno;
        for (int i = 0; i < (ok2 ? 4 : ok ? 2 : 0); ++i)
            ::close(fds[i]);
        if (!ok2)
            throw std::runtime_error(fmt::format("uv_loop_init: {}", std::strerror(ok ? err2 : err)));
    }
    if (const int r = uv_loop_init(&loop); r < 0)
        throw std::runtime_error(fmt::format("uv_loop_init: {}", uv_strerror(r)));
    g_libuv_set_up.store(true);
}

void block_sigpipe_on_this_thread() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::uint64_t timer_ms(uv_loop_t* loop, Nanos due) {
    const auto due_ms = static_cast<std::uint64_t>((due + kNanosPerMilli - 1) / kNanosPerMilli);
    const std::uint64_t now_ms = uv_now(loop);
    return due_ms > now_ms ? due_ms - now_ms : 1;
}

} // namespace le
