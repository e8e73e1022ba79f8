#include "sweep_result.h"

#include "split_table.h"
#include "units.h"

#include <fmt/format.h>

namespace le {

std::string format_sweep_table(const SweepFile& f) {
    std::string out =
        fmt::format("{:<30} {:>8} {:>10} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "series", "target",
                    "achieved", "received", "loss%", "p50_us", "p90_us", "p99_us", "p99.9_us", "max_us");
    const auto name = [&](const SweepPointResult& p) {
        return p.series() + (f.spec.repeat > 1 ? fmt::format(" #{}", p.repetition + 1) : "");
    };
    for (const auto& p : f.points) {
        out += fmt::format(
            "{:<30} {:>8} {:>10.1f} {:>9} {:>7.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", name(p),
            format_rate(p.target_rate), p.achieved_rate, p.received, p.loss_percent(), p.percentile_us(50),
            p.percentile_us(90), p.percentile_us(99), p.percentile_us(99.9), p.rtt.max() / 1000.0);
        if (!p.error.empty())
            out += fmt::format("{:<30} error: {}\n", "", p.error);
        if (!p.note.empty())
            out += fmt::format("{:<30} note: {}\n", "", p.note);
    }
    // The parts of each point's round trips, when the sweep asked for them (the ICMP points have none).
    if (f.spec.base.kernel_timestamps) {
        out += split_table_header(30);
        for (const auto& p : f.points)
            if (!p.icmp)
                out += split_table_row(name(p), 30, p.split_available, p.split, p.peer_split_available);
    }
    return out;
}

} // namespace le
