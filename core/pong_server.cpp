#include "pong_server.h"

#include "asio_pong.h"
#include "blocking_pong.h"
#include "impairments.h"
#include "spin_pong.h"

#include <fmt/format.h>

#include <stdexcept>

namespace le {

std::unique_ptr<PongServer> start_pong(const PongConfig& config) {
    if (config.listen.empty())
        throw std::invalid_argument("nothing to listen on");
    if (config.max_connections < 1)
        throw std::invalid_argument("max connections must be at least 1");
    validate_impairments({config.delay, config.jitter, config.loss_percent});
    switch (config.engine) {
    case EngineKind::Blocking:
        return std::make_unique<BlockingPong>(config);
    case EngineKind::Asio:
        return std::make_unique<AsioPong>(config);
    case EngineKind::AsioPool:
        return std::make_unique<AsioPong>(config, AsioPong::pool_threads());
    case EngineKind::Spin:
        return std::make_unique<SpinPong>(config);
    }
    throw std::invalid_argument(fmt::format("unknown engine {}", static_cast<int>(config.engine)));
}

} // namespace le
