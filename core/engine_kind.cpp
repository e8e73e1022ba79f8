#include "engine_kind.h"

#include <fmt/format.h>

#include <stdexcept>

namespace le {

EngineKind parse_engine(std::string_view text) {
    if (text == "blocking")
        return EngineKind::Blocking;
    if (text == "asio")
        return EngineKind::Asio;
    throw std::invalid_argument(
        fmt::format("unknown engine '{}' (expected one of: {})", text, engine_names()));
}

std::string_view to_string(EngineKind e) {
    switch (e) {
    case EngineKind::Blocking:
        return "blocking";
    case EngineKind::Asio:
        return "asio";
    }
    return "?";
}

std::string_view engine_names() {
    return "blocking, asio";
}

} // namespace le
