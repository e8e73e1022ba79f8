#pragma once

// Runs a PingSession to its end and keeps its records: what the end-to-end session suites share.
#include "ping_session.h"

#include <string>
#include <vector>

namespace le {

// Test helpers; in le so that suites with `using namespace le` call them unqualified.

struct RunResult {
    std::vector<IntervalRecord> intervals;
    IntervalRecord summary;
    std::string error;
};

// Runs to the end, calling `during(session, records so far)` after every interval record.
template <class During> RunResult run(PingConfig config, During during) {
    PingSession session(std::move(config));
    session.start();
    RunResult result;
    IntervalRecord r;
    const Nanos give_up = now_ns() + 60 * kNanosPerSecond;
    while (now_ns() < give_up) {
        if (!session.next_record(r, 100 * kNanosPerMilli)) {
            if (session.finished())
                break;
            continue;
        }
        if (r.kind == IntervalRecord::Kind::Summary) {
            result.summary = r;
            break;
        }
        result.intervals.push_back(r);
        during(session, result.intervals);
    }
    result.error = session.error();
    return result;
}

inline RunResult run(PingConfig config) {
    return run(std::move(config), [](PingSession&, const std::vector<IntervalRecord>&) {});
}

} // namespace le
