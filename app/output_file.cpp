#include "output_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace le::cli {

OutputFile::OutputFile(std::FILE* file, std::string name, bool owned)
    : m_file(file)
    , m_name(std::move(name))
    , m_owned(owned) {}

OutputFile OutputFile::standard_output() {
    return OutputFile(stdout, "standard output", false);
}

OutputFile OutputFile::create(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
    return OutputFile(f, "'" + path + "'", true);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : m_file(std::exchange(other.m_file, nullptr))
    , m_name(std::move(other.m_name))
    , m_owned(other.m_owned)
    , m_errno(other.m_errno) {}

OutputFile::~OutputFile() {
    if (m_owned && m_file)
        std::fclose(m_file);
}

bool OutputFile::write(std::string_view text) {
    if (m_errno != 0 || !m_file)
        return false;
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), m_file) != text.size() || std::fflush(m_file) != 0) {
        m_errno = errno != 0 ? errno : EIO;
        std::clearerr(m_file);
        return false;
    }
    return true;
}

bool OutputFile::close() {
    if (!m_file)
        return m_errno == 0;
    errno = 0;
    int rc = std::fflush(m_file);
    if (m_owned) {
        rc |= std::fclose(m_file);
        m_file = nullptr;
    }
    if (rc != 0 && m_errno == 0)
        m_errno = errno != 0 ? errno : EIO;
    return m_errno == 0;
}

bool OutputFile::broken_pipe() const {
    return m_errno == EPIPE;
}

std::string OutputFile::error() const {
    if (m_errno == 0)
        return {};
    return fmt::format("cannot write {}: {}", m_name, std::strerror(m_errno));
}

} // namespace le::cli
