#pragma once

#include "run_history.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace le {

// Saved runs ("session files"): one JSON document,
//   {"format":"latency-explorer-session","version":1,"name":...,"info":{string:string},
//    "intervals":[record,...],"summary":record or null,"whole_run":histogram}
// with records as record_format.h renders them (plus "bytes") and the whole-run histogram as
// histogram_json.h encodes it. Like RunHistory, per-interval histograms are not kept: the statistics
// of every interval and the exact whole-run histogram are.

inline constexpr std::uint64_t kMaxSessionFileBytes = std::uint64_t{256} << 20;

// Writes the file as file_io.h's write_file_atomically does (temporary file, fsync, rename), so a
// crash or a full disk never leaves a half-written file. Throws std::runtime_error("cannot write
// PATH: reason").
void save_session(const std::string& path, const RunHistory& run);

// Throws std::runtime_error with a message for the user: "cannot read PATH: No such file or
// directory", "PATH is not a Latency Explorer session file", "PATH: unsupported session version 7",
// "PATH: corrupt session: intervals[3].p50_us is not a number", or a refusal of files larger than
// kMaxSessionFileBytes (checked before reading). The run is named after the file when it has no name.
RunHistory load_session(const std::string& path);

// What load_session() does once the file is read: `text` is the whole document (untrusted), messages
// are worded around `source` (a path, or nothing: "not a Latency Explorer session file", "corrupt
// session: ..."). std::runtime_error is the only exception it lets out.
RunHistory session_from_text(std::string_view text, std::string default_name, std::string_view source = {});

nlohmann::json session_to_json(const RunHistory& run);
// Input is untrusted (files, fuzzers): std::runtime_error is the only exception it lets out, saying
// "not a Latency Explorer session file", "unsupported session version 7" or "corrupt session: ...".
RunHistory session_from_json(const nlohmann::json& doc, std::string default_name);

} // namespace le
