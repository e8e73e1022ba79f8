#include "child_process.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace le {
namespace {

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// Both ends close-on-exec: the child gets its end through dup2 (which clears the flag), no other
// child gets either.
struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw ChildProcessError(fmt::format("cannot create a pipe: {}", std::strerror(errno)), errno);
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        close_fd(read);
        close_fd(write);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
};

bool has_name(std::string_view entry, std::string_view name) {
    return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
}

// Our environment with the options' changes; empty when there are none (the child then gets ours).
std::vector<std::string> child_environment(const ChildOptions& options) {
    std::vector<std::string> env;
    if (options.set_env.empty() && options.unset_env.empty())
        return env;
    env = options.set_env;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view entry(*e);
        bool dropped = false;
        for (const auto& name : options.unset_env)
            dropped = dropped || has_name(entry, name);
        for (const auto& set : options.set_env)
            dropped = dropped || has_name(entry, std::string_view(set).substr(0, set.find('=')));
        if (!dropped)
            env.emplace_back(entry);
    }
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

} // namespace

ChildProcess::ChildProcess(const ChildOptions& options) {
    if (options.argv.empty())
        throw ChildProcessError("cannot run a program without a name", EINVAL);
    std::optional<Pipe> in;
    if (options.pipe_stdin)
        in.emplace();
    Pipe out;
    std::optional<Pipe> err;
    if (!options.merge_stderr)
        err.emplace();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (in)
        posix_spawn_file_actions_adddup2(&actions, in->read, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out.write, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err ? err->write : out.write, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Nothing else of ours (a pong's listening socket, a file missing O_CLOEXEC) lives on in the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (options.own_process_group) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
    }
    std::vector<std::string> args = options.argv;
    std::vector<std::string> env = child_environment(options);
    const std::vector<char*> argv = pointers(args);
    std::vector<char*> envp = pointers(env);
    const int rc =
        ::posix_spawnp(&m_pid, argv[0], &actions, &attr, argv.data(), env.empty() ? environ : envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        m_pid = -1;
        throw ChildProcessError(fmt::format("cannot run '{}': {}", options.argv[0], std::strerror(rc)), rc);
    }
    if (in)
        m_in = std::exchange(in->write, -1);
    m_out = std::exchange(out.read, -1);
    if (err)
        m_err = std::exchange(err->read, -1);
}

ChildProcess::~ChildProcess() {
    close_stdin();
    close_output();
    if (!m_reaped && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        wait();
    }
}

void ChildProcess::close_stdin() {
    close_fd(m_in);
}

void ChildProcess::close_output() {
    close_fd(m_out);
    close_fd(m_err);
}

bool ChildProcess::read_output(Nanos timeout, const Sink& sink) {
    if (m_out < 0 && m_err < 0)
        return false;
    pollfd p[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}}; // poll skips a negative descriptor
    const Nanos ms = timeout <= 0 ? 0 : (timeout + kNanosPerMilli - 1) / kNanosPerMilli;
    const int n = ::poll(p, 2, static_cast<int>(std::min<Nanos>(ms, INT_MAX)));
    if (n < 0)
        return errno == EINTR;
    char buffer[64 * 1024];
    const auto read_one = [&](const pollfd& ready, int& fd, ChildStream stream) {
        if (fd < 0 || ready.revents == 0)
            return;
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (got <= 0)
            close_fd(fd);
        else
            sink(stream, std::string_view(buffer, static_cast<std::size_t>(got)));
    };
    read_one(p[0], m_out, ChildStream::Out);
    read_one(p[1], m_err, ChildStream::Err);
    return m_out >= 0 || m_err >= 0;
}

bool ChildProcess::try_reap() {
    if (m_reaped || m_pid <= 0)
        return m_reaped;
    const pid_t r = ::waitpid(m_pid, &m_status, WNOHANG);
    // ECHILD: someone else reaped it; it is gone either way.
    if (r == m_pid || (r < 0 && errno == ECHILD))
        m_reaped = true;
    return m_reaped;
}

bool ChildProcess::wait_for(Nanos timeout) {
    const Nanos until = now_ns() + timeout;
    do {
        if (try_reap())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (now_ns() < until);
    return false;
}

void ChildProcess::wait() {
    if (m_reaped || m_pid <= 0)
        return;
    while (::waitpid(m_pid, &m_status, 0) < 0 && errno == EINTR) {
    }
    m_reaped = true;
}

void ChildProcess::terminate(Nanos grace) {
    if (m_reaped || m_pid <= 0 || wait_for(grace))
        return;
    ::kill(m_pid, SIGTERM);
    if (wait_for(kNanosPerSecond))
        return;
    ::kill(m_pid, SIGKILL);
    wait();
}

void ChildProcess::signal(int signal) {
    if (!m_reaped && m_pid > 0)
        ::kill(m_pid, signal);
}

} // namespace le
