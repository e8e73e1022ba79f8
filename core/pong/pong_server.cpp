#include "pong_server.h"

#include "asio_pong.h"
#include "blocking_pong.h"
#include "impairments.h"
#include "pong_base.h"
#include "spin_pong.h"
#include "uring_pong.h"
#include "uv_pong.h"

#include <fmt/format.h>

#include <stdexcept>
#include <system_error>

namespace le {

std::unique_ptr<PongServer> start_pong(const PongConfig& config) {
    if (config.listen.empty())
        throw std::invalid_argument("nothing to listen on");
    if (config.max_connections < 1)
        throw std::invalid_argument("max connections must be at least 1");
    validate_impairments({config.delay, config.jitter, config.loss_percent});
    try {
        switch (config.engine) {
        case EngineKind::Blocking:
            return std::make_unique<BlockingPong>(config);
        case EngineKind::Asio:
            return std::make_unique<AsioPong>(config);
        case EngineKind::AsioPool:
            return std::make_unique<AsioPong>(config, AsioPong::pool_threads());
        case EngineKind::Spin:
            return std::make_unique<SpinPong>(config);
        case EngineKind::Uring:
        case EngineKind::UringSqpoll:
            return make_uring_pong(config, config.engine == EngineKind::UringSqpoll);
        case EngineKind::Libuv:
            return make_uv_pong(config);
        case EngineKind::AsioUring:
            return make_asio_uring_pong(config);
        }
    } catch (const std::system_error& e) {
        // Asio's own wording ("eventfd_select_interrupter: Too many open files") means nothing to
        // a user; what failed is starting the engine.
        throw std::runtime_error(
            fmt::format("cannot start the {} pong: {}", to_string(config.engine), e.code().message()));
    }
    throw std::invalid_argument(fmt::format("unknown engine {}", static_cast<int>(config.engine)));
}

} // namespace le
