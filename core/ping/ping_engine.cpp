#include "ping_engine.h"

#include "asio_ping.h"
#include "blocking_ping.h"
#include "spin_ping.h"
#include "uring_ping.h"
#include "uv_ping.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace le {
namespace {

// asio-pool: one thread per core, and at least two, or it would not be a pool.
int pool_threads() {
    return static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
}

} // namespace

std::unique_ptr<PingEngine> make_ping_engine(EngineKind kind, PingContext& context, Fd socket) {
    try {
        switch (kind) {
        case EngineKind::Blocking:
            return std::make_unique<BlockingPing>(context, std::move(socket));
        case EngineKind::Asio:
            return make_asio_ping(context, std::move(socket), 1);
        case EngineKind::AsioPool:
            return make_asio_ping(context, std::move(socket), pool_threads());
        case EngineKind::Spin:
            return std::make_unique<SpinPing>(context, std::move(socket));
        case EngineKind::Uring:
        case EngineKind::UringSqpoll:
            return make_uring_ping(context, std::move(socket), kind == EngineKind::UringSqpoll);
        case EngineKind::Libuv:
            return make_uv_ping(context, std::move(socket));
        case EngineKind::AsioUring:
            return make_asio_uring_ping(context, std::move(socket), 1);
        }
    } catch (const std::system_error& e) {
        // Asio's own wording ("eventfd_select_interrupter: ...") means nothing to a user.
        throw std::runtime_error(
            fmt::format("cannot start the {} engine: {}", to_string(kind), e.code().message()));
    }
    throw std::invalid_argument(fmt::format("unknown engine {}", static_cast<int>(kind)));
}

} // namespace le
