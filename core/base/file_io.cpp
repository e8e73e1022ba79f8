#include "file_io.h"

#include <fmt/format.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace le {
namespace {

std::string error_text(int err) {
    return std::system_category().message(err);
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd)
        : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }
    // Close errors matter when writing: NFS and some full disks report them only here.
    int close() {
        const int rc = ::close(m_fd);
        m_fd = -1;
        return rc;
    }

private:
    int m_fd;
};

[[noreturn]] void too_large(const std::string& path, std::uint64_t size, std::uint64_t max_bytes,
                            std::string_view kind) {
    throw std::runtime_error(fmt::format("{} is too large for a {} ({} MiB; the limit is {} MiB)", path, kind,
                                         size >> 20, max_bytes >> 20));
}

} // namespace

void write_file_atomically(const std::string& path, std::string_view data) {
    const std::string tmp = path + ".tmp";
    const auto fail = [&](int err) {
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, error_text(err)));
    };
    FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (fd.get() < 0)
        fail(errno);
    const auto fail_and_remove = [&](int err) {
        fd.close();
        ::unlink(tmp.c_str());
        fail(err);
    };
    while (!data.empty()) {
        const ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail_and_remove(errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    // Without the fsync a crash soon after the rename can leave PATH empty on some file systems.
    if (::fsync(fd.get()) != 0)
        fail_and_remove(errno);
    if (fd.close() != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(err);
    }
    // Makes the rename itself durable; the file is complete either way, so failure here is harmless.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty())
        dir = ".";
    FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() >= 0)
        ::fsync(dir_fd.get());
}

std::string read_file_bounded(const std::string& path, std::uint64_t max_bytes, std::string_view kind) {
    const auto fail = [&](const std::string& reason) {
        throw std::runtime_error(fmt::format("cannot read {}: {}", path, reason));
    };
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is refused below.
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0)
        fail(error_text(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        fail(error_text(errno));
    if (S_ISDIR(st.st_mode))
        fail(error_text(EISDIR));
    if (!S_ISREG(st.st_mode))
        fail("not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > max_bytes)
        too_large(path, size, max_bytes, kind);

    std::string text;
    text.reserve(static_cast<std::size_t>(size));
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(error_text(errno));
        }
        if (n == 0)
            break;
        // The file may be growing while we read it.
        if (text.size() + static_cast<std::size_t>(n) > max_bytes)
            too_large(path, text.size() + static_cast<std::size_t>(n), max_bytes, kind);
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

} // namespace le
