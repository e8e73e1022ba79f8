#include "pong_server.h"

#include "asio_pong.h"
#include "blocking_pong.h"

#include <stdexcept>

namespace le {

std::unique_ptr<PongServer> start_pong(const PongConfig& config) {
    if (config.listen.empty())
        throw std::invalid_argument("nothing to listen on");
    if (config.max_connections < 1)
        throw std::invalid_argument("max connections must be at least 1");
    switch (config.engine) {
    case EngineKind::Blocking:
        return std::make_unique<BlockingPong>(config);
    case EngineKind::Asio:
        return std::make_unique<AsioPong>(config);
    }
    throw std::invalid_argument("unknown engine");
}

} // namespace le
