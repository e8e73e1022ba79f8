#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace le::cli {

// Where the command-line tools write their records and tables: standard output or a file. Every
// write is flushed and checked, so a full disk, /dev/full or a closed pipe is noticed at once instead
// of leaving a file cut mid-record behind an exit status of 0.
class OutputFile {
public:
    // Standard output, named "standard output" in errors.
    static OutputFile standard_output();
    // Creates or truncates `path`. Throws std::runtime_error "cannot write 'PATH': REASON".
    static OutputFile create(const std::string& path);
    OutputFile(OutputFile&& other) noexcept;
    OutputFile& operator=(OutputFile&&) = delete;
    ~OutputFile();

    // Writes and flushes `text`. False once a write failed (this one or an earlier one: nothing more
    // is written then); error() says why.
    bool write(std::string_view text);
    // Flushes and closes a file (standard output is only flushed); false and error() when that fails.
    bool close();
    bool failed() const { return m_errno != 0; }
    // The reader went away (EPIPE): for standard output the end of a run, not a failure.
    bool broken_pipe() const;
    // "cannot write 'out.csv': No space left on device" (empty while nothing failed).
    std::string error() const;

private:
    OutputFile(std::FILE* file, std::string name, bool owned);

    std::FILE* m_file;
    std::string m_name;
    bool m_owned;
    int m_errno = 0;
};

} // namespace le::cli
