#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace le {

// Whole-file writes and reads for the files a user keeps (saved runs, sweeps): written so that a
// crash or a full disk never leaves half a file, read so that a huge or odd file is refused with a
// message naming it instead of filling memory or hanging.

// Writes `data` to PATH so that PATH holds either what it held before or all of `data`: PATH.tmp is
// written and fsync'ed, renamed over PATH, then PATH's folder is fsync'ed so that the rename survives a
// crash too. Throws std::runtime_error("cannot write PATH: reason"), after removing PATH.tmp.
void write_file_atomically(const std::string& path, std::string_view data);

// The whole content of the regular file PATH. A file larger than `max_bytes` is refused before it is
// read (and while it is read: it may be growing). Never blocks on a FIFO. Throws std::runtime_error:
// "cannot read PATH: No such file or directory" (or "Is a directory", "not a regular file", ...), or
// "PATH is too large for a KIND (N MiB; the limit is M MiB)" with `kind` such as "sweep file".
std::string read_file_bounded(const std::string& path, std::uint64_t max_bytes, std::string_view kind);

} // namespace le
