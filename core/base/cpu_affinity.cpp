#include "cpu_affinity.h"

#include <fmt/format.h>

#include <charconv>
#include <pthread.h>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace le {
namespace {

int parse_cpu(std::string_view text, std::string_view whole) {
    int v = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0)
        throw std::invalid_argument(
            fmt::format("invalid CPU list '{}' (expected e.g. 0, 0,2 or 1-3)", whole));
    const long cpus = sysconf(_SC_NPROCESSORS_CONF);
    if (v >= CPU_SETSIZE || (cpus > 0 && v >= cpus))
        throw std::invalid_argument(
            fmt::format("CPU {} in '{}' does not exist (this machine has CPUs 0-{})", v, whole, cpus - 1));
    return v;
}

} // namespace

std::vector<int> parse_cpu_list(std::string_view text) {
    std::vector<int> out;
    std::string_view rest = text;
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view part = rest.substr(0, comma);
        const auto dash = part.find('-');
        if (dash == std::string_view::npos) {
            out.push_back(parse_cpu(part, text));
        } else {
            const int lo = parse_cpu(part.substr(0, dash), text), hi = parse_cpu(part.substr(dash + 1), text);
            if (hi < lo)
                throw std::invalid_argument(fmt::format("invalid CPU range '{}' in '{}'", part, text));
            for (int c = lo; c <= hi; ++c)
                out.push_back(c);
        }
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
    if (cpus.empty())
        return "any";
    std::string out;
    for (std::size_t i = 0; i < cpus.size(); ++i) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += j > i ? fmt::format("{}-{}", cpus[i], cpus[j]) : std::to_string(cpus[i]);
        i = j;
    }
    return out;
}

ScopedAffinity::ScopedAffinity(const std::vector<int>& cpus) {
    if (cpus.empty())
        return;
    m_saved = current_affinity();
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus)
        CPU_SET(c, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
        throw std::runtime_error(fmt::format("cannot pin to CPUs {}", format_cpu_list(cpus)));
    m_active = true;
}

ScopedAffinity::~ScopedAffinity() {
    if (m_active)
        pthread_setaffinity_np(pthread_self(), sizeof(m_saved), &m_saved);
}

cpu_set_t current_affinity() {
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
    return set;
}

void apply_affinity(pthread_t thread, const cpu_set_t& mask) {
    pthread_setaffinity_np(thread, sizeof(mask), &mask);
}

} // namespace le

namespace le {

std::string placement_of(pid_t tid) {
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(tid, sizeof(mask), &mask) != 0)
        return "unknown";
    // The kernel reports the mask within the active CPUs, so every online CPU set means "not pinned".
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online > 0 && CPU_COUNT(&mask) >= online)
        return "any";
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &mask))
            cpus.push_back(c);
    }
    return format_cpu_list(cpus);
}

} // namespace le
