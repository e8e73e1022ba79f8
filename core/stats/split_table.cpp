#include "split_table.h"

#include <fmt/format.h>

namespace le {

std::string split_table_header(std::size_t name_width) {
    return fmt::format(
        "\nwhere the time went (kernel timestamps, us):\n{:<{}} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} "
        "{:>9} {:>9} {:>11}\n",
        "run", name_width, "stamped", "send_p50", "send_p99", "wire_p50", "wire_p99", "wake_p50", "wake_p99",
        "pong_p50", "network_p50");
}

std::string split_table_row(std::string_view name, std::size_t name_width, std::string_view available,
                            const SplitStats& s, std::string_view peer_available) {
    if (available != "yes")
        return fmt::format("{:<{}} {}\n", name, name_width, available);
    const std::string peer =
        peer_available == "yes" ? fmt::format(" {:>9.2f} {:>11.2f}", s.pong.p50_us, s.network.p50_us) : "";
    return fmt::format("{:<{}} {:>9} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}{}\n", name,
                       name_width, s.send.count, s.send.p50_us, s.send.p99_us, s.wire.p50_us, s.wire.p99_us,
                       s.wake.p50_us, s.wake.p99_us, peer);
}

} // namespace le
