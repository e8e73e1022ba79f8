#pragma once

#include "histogram.h"
#include "interval_record.h"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace le {

// An interval log (hdr_log.h) written as a run goes: the header at once, then a line per interval,
// each flushed, so a crash or Ctrl-C loses nothing already measured. For latency-ping --hlog and
// latency-ping sweep --hlog.
class HlogWriter {
public:
    // Creates (truncates) PATH and writes the header; t = 0 of the rows is `start_epoch_s`.
    // Throws std::runtime_error("cannot write PATH: reason").
    HlogWriter(const std::string& path, double start_epoch_s, std::string_view comment = {});

    // An interval record: an untagged line with its histogram, and "Tag=first"/"Tag=rest" lines when
    // it has burst histograms. Summaries and records without a histogram are not written (a log holds
    // intervals; the whole run is their sum). Throws std::runtime_error on a write error.
    void write(const IntervalRecord& r);
    // One line: `tag` (no ',', ' ' or line break; "" for none), times in seconds since t = 0.
    void write(std::string_view tag, double start_s, double length_s, const Histogram& h);

private:
    void put(const std::string& text);

    std::string m_path;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> m_file;
};

} // namespace le
