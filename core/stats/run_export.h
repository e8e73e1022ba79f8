#pragma once

#include "record_format.h"
#include "run_history.h"

#include <ostream>

namespace le {

// The summary of a whole run, across every segment (restart) it had: counts and time summed over
// its intervals, percentiles from its whole-run histogram, the settings of its last interval. The
// summary a session hands over covers only that session; a run restarted for a new engine has
// several.
IntervalRecord whole_run_summary(const RunHistory& run);

// A run's records as the window exports them (CSV or JSON lines; Text is refused with
// std::invalid_argument): every interval, then one summary per segment when the run had more than
// one, then the whole run's summary. Each row leads with what the records themselves do not say:
// CSV columns "engine,transport,peer,segment" before csv_header()'s, JSON keys of the same names.
// segment counts from 1; the whole run's summary says "all".
void write_run_records(std::ostream& out, RecordFormat format, const RunHistory& run);

} // namespace le
