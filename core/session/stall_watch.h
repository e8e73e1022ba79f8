#pragma once

#include "clock.h"

#include <cstdint>
#include <string>

namespace le {

// Why a run that stopped making progress is ended: its peer stopped answering, or the ping itself
// stopped sending (starved of CPU by its compute tasks) while nothing held it back. Told apart so
// that an overloaded ping is not reported as a lost peer.
enum class Stall { None, PeerLost, PingOverloaded };

// What the session's collector sees at one look.
struct StallFacts {
    Nanos now = 0;
    Nanos lost_after = 0;       // 0 = never end a run
    Nanos send_gap = 0;         // the schedule's gap between sends (1 / rate; 0 back-to-back)
    Nanos last_sent = 0;        // 0 = nothing sent yet
    Nanos unanswered_since = 0; // 0 = every message sent was followed by an echo
    std::uint64_t unanswered = 0;
    std::uint64_t min_unanswered = 1; // messages unanswered in a row that make a peer suspect
    bool echoes_waiting = false;      // echoes wait unread in the ping's own socket
};

// PeerLost: messages unanswered for lost_after (at least min_unanswered of them) and no echo
// waiting unread. PingOverloaded: nothing sent for lost_after beyond the schedule's gap although
// nothing held the ping back (every message answered, or the answers wait unread). Else None.
Stall judge_stall(const StallFacts& facts);

// "peer lost: no echo for 1.5 s", "ping overloaded: no send for 1.5 s".
std::string stall_message(Stall stall, Nanos lost_after);

} // namespace le
