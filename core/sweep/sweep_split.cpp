#include "sweep_split.h"

#include "json_fields.h"
#include "split_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

namespace le {
namespace {

constexpr std::array kParts = {"send", "wire", "wake"};
constexpr std::array kPeerParts = {"pong", "network"};
constexpr std::array kPartFields = {"count", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"};
constexpr std::array kCounts = {"unstamped", "discarded"};

// The split's numbers in CSV column order (after its availability column), as the JSON form spells
// them: one spelling for both renderings. Parts: kParts then kCounts, or kPeerParts.
template <std::size_t N>
void add_cells(std::vector<std::string>& out, const nlohmann::json& j,
               const std::array<const char*, N>& parts, bool counts) {
    for (const char* part : parts)
        for (const char* field : kPartFields)
            out.push_back(j.at(part).at(field).dump());
    if (counts)
        for (const char* count : kCounts)
            out.push_back(j.at(count).dump());
}

template <std::size_t N>
void add_columns(std::vector<std::string>& out, const std::array<const char*, N>& parts, bool counts) {
    for (const char* part : parts)
        for (const char* field : kPartFields)
            out.push_back(fmt::format("split_{}_{}", part, field));
    if (counts)
        for (const char* count : kCounts)
            out.push_back(fmt::format("split_{}", count));
}

constexpr std::size_t kMainCells = 1 + kParts.size() * kPartFields.size() + kCounts.size();

} // namespace

void add_split_json(nlohmann::json& point, const SweepPointResult& p) {
    point["split_available"] = p.split_available;
    point["peer_split_available"] = p.peer_split_available;
    point["split"] = p.has_split() ? split_to_json(p.split, p.has_peer_split()) : nlohmann::json(nullptr);
}

void read_split_json(const nlohmann::json& point, SweepPointResult& p) {
    const auto a = point.find("split_available");
    if (a == point.end())
        return;
    p.split_available = json_string(*a, "split_available");
    if (const auto peer = point.find("peer_split_available"); peer != point.end())
        p.peer_split_available = json_string(*peer, "peer_split_available");
    if (p.has_split())
        p.split = split_from_json(json_field(point, "split", "split"), "split", p.has_peer_split());
}

const std::vector<std::string>& split_csv_columns() {
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> c{"split_available"};
        add_columns(c, kParts, true);
        c.emplace_back("peer_split_available");
        add_columns(c, kPeerParts, false);
        return c;
    }();
    return columns;
}

std::vector<std::string> split_csv_cells(const SweepPointResult& p) {
    std::vector<std::string> out{p.split_available};
    const nlohmann::json j = split_to_json(p.split, true);
    if (p.has_split())
        add_cells(out, j, kParts, true);
    out.resize(kMainCells);
    out.push_back(p.peer_split_available);
    if (p.has_peer_split())
        add_cells(out, j, kPeerParts, false);
    out.resize(split_csv_columns().size());
    return out;
}

void read_split_csv(const std::map<std::string, std::string>& row, SweepPointResult& p) {
    const auto a = row.find("split_available");
    if (a == row.end())
        return;
    p.split_available = a->second;
    if (const auto peer = row.find("peer_split_available"); peer != row.end())
        p.peer_split_available = peer->second;
    if (!p.has_split())
        return;
    // Rebuilt as the JSON form, so both renderings are checked by the same reader.
    const auto cell = [&](const std::string& column) {
        const auto c = row.find(column);
        if (c == row.end())
            throw std::runtime_error(fmt::format("column '{}' is missing", column));
        try {
            return nlohmann::json::parse(c->second);
        } catch (const nlohmann::json::exception&) {
            throw std::runtime_error(fmt::format("{} '{}' is not a number", column, c->second.substr(0, 40)));
        }
    };
    nlohmann::json j;
    for (const char* part : kParts)
        for (const char* field : kPartFields)
            j[part][field] = cell(fmt::format("split_{}_{}", part, field));
    for (const char* count : kCounts)
        j[count] = cell(fmt::format("split_{}", count));
    if (p.has_peer_split())
        for (const char* part : kPeerParts)
            for (const char* field : kPartFields)
                j[part][field] = cell(fmt::format("split_{}_{}", part, field));
    p.split = split_from_json(j, "split", p.has_peer_split());
}

} // namespace le
