#include "split_json.h"

#include "json_fields.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace le {

nlohmann::json part_to_json(const PartStats& s) {
    return {{"count", s.count},   {"mean_us", s.mean_us}, {"p50_us", s.p50_us},
            {"p90_us", s.p90_us}, {"p99_us", s.p99_us},   {"max_us", s.max_us}};
}

nlohmann::json split_to_json(const SplitStats& s, bool peer) {
    nlohmann::json j = {{"send", part_to_json(s.send)},
                        {"wire", part_to_json(s.wire)},
                        {"wake", part_to_json(s.wake)},
                        {"unstamped", s.unstamped},
                        {"discarded", s.discarded}};
    if (peer) {
        j["pong"] = part_to_json(s.pong);
        j["network"] = part_to_json(s.network);
    }
    return j;
}

PartStats part_from_json(const nlohmann::json& p, const std::string& where) {
    json_object(p, where);
    const auto number = [&](const char* key) {
        const std::string name = fmt::format("{}.{}", where, key);
        return json_nonnegative(json_field(p, key, name), name);
    };
    PartStats s;
    const std::string count = fmt::format("{}.count", where);
    s.count = json_count(json_field(p, "count", count), count);
    s.mean_us = number("mean_us");
    s.p50_us = number("p50_us");
    s.p90_us = number("p90_us");
    s.p99_us = number("p99_us");
    s.max_us = number("max_us");
    return s;
}

SplitStats split_from_json(const nlohmann::json& split, const std::string& where, bool peer) {
    json_object(split, where);
    const auto member = [&](const char* key) -> const nlohmann::json& {
        return json_field(split, key, fmt::format("{}.{}", where, key));
    };
    SplitStats s;
    s.send = part_from_json(member("send"), where + ".send");
    s.wire = part_from_json(member("wire"), where + ".wire");
    s.wake = part_from_json(member("wake"), where + ".wake");
    s.unstamped = json_count(member("unstamped"), where + ".unstamped");
    s.discarded = json_count(member("discarded"), where + ".discarded");
    if (peer) {
        s.pong = part_from_json(member("pong"), where + ".pong");
        s.network = part_from_json(member("network"), where + ".network");
    }
    return s;
}

} // namespace le
