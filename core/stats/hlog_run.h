#pragma once

#include "hdr_log.h"
#include "run_history.h"

#include <string>
#include <vector>

namespace le {

// Runs as interval logs and back (hdr_log.h), for latency-explorer's File > Open / Export and
// latency-ping.

// One run per tag of the log, in the order the tags first appear: the untagged intervals are named
// `name`, tagged ones "name [TAG]". Each interval becomes a record with its histogram (times relative
// to the log's StartTime, or its first interval), counts sent = received = the histogram's count
// (a log has no losses), achieved rate = count / length; each run gets a summary over its intervals.
// info(): "source" (the log), "tag", "started" (ISO 8601 UTC, from StartTime). A log without
// intervals throws std::runtime_error("SOURCE: an interval log without intervals").
std::vector<RunHistory> runs_from_hlog(const HdrLog& log, const std::string& name, const std::string& source);

// The run as an interval log starting at `start_epoch_s` (seconds since the epoch at the run's t = 0):
// one untagged line per interval, and "Tag=first"/"Tag=rest" lines for runs with bursts. A run kept
// without per-interval histograms (a saved session) is written as one interval holding its whole-run
// histogram, and a comment line says so.
std::string hlog_from_run(const RunHistory& run, double start_epoch_s);

} // namespace le
