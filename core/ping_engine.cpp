#include "ping_engine.h"

#include "asio_ping.h"
#include "blocking_ping.h"

namespace le {

std::unique_ptr<PingEngine> make_ping_engine(EngineKind kind, PingContext& context, Fd socket) {
    switch (kind) {
    case EngineKind::Blocking:
        return std::make_unique<BlockingPing>(context, std::move(socket));
    case EngineKind::Asio:
        return make_asio_ping(context, std::move(socket));
    }
    throw std::invalid_argument("unknown engine");
}

} // namespace le
