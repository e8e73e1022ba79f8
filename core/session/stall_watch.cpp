#include "stall_watch.h"

#include "units.h"

namespace le {

Stall judge_stall(const StallFacts& f) {
    if (f.lost_after <= 0)
        return Stall::None;
    const bool unanswered_long = f.unanswered_since != 0 && f.now - f.unanswered_since >= f.lost_after &&
                                 f.unanswered >= f.min_unanswered;
    if (unanswered_long && !f.echoes_waiting)
        return Stall::PeerLost;
    const bool silent = f.last_sent != 0 && f.now - f.last_sent >= f.lost_after + f.send_gap;
    if (silent && (f.unanswered == 0 || f.echoes_waiting))
        return Stall::PingOverloaded;
    return Stall::None;
}

std::string stall_message(Stall stall, Nanos lost_after) {
    const std::string after = format_duration(lost_after);
    switch (stall) {
    case Stall::PeerLost:
        return "peer lost: no echo for " + after;
    case Stall::PingOverloaded:
        return "ping overloaded: no send for " + after + " (its compute tasks starve it of CPU)";
    case Stall::None:
        break;
    }
    return {};
}

} // namespace le
