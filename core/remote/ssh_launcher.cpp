#include "ssh_launcher.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>

extern char** environ;

namespace le {

namespace {

constexpr std::string_view kReadyPrefix = "agent listening on ";
constexpr std::string_view kTokenPrefix = "agent token ";
constexpr std::size_t kStderrKeep = 4096;
constexpr int kPortAttempts = 3;

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw SshError(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        close_fd(read);
        close_fd(write);
    }
};

// A child with its stdin, stdout and stderr on pipes. The parent's ends are close-on-exec, so no
// other child inherits them (which would keep ssh's stdin open after stop()).
struct Child {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1;
};

Child spawn_piped(const std::vector<std::string>& argv) {
    Pipe in, out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write, 1);
    posix_spawn_file_actions_adddup2(&actions, err.write, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Nothing else of ours (a pong's listening socket, a file missing O_CLOEXEC) lives on in ssh.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    // Its own process group: Ctrl-C in the terminal stops the window, which then closes ssh in
    // order (the remote agent exits on EOF) instead of ssh dying first.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Child c;
    const int rc = ::posix_spawnp(&c.pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw SshError(fmt::format("cannot run '{}': {}{}", argv[0], std::strerror(rc),
                                   rc == ENOENT ? " (is openssh-client installed?)" : ""));
    c.in = std::exchange(in.write, -1);
    c.out = std::exchange(out.read, -1);
    c.err = std::exchange(err.read, -1);
    return c;
}

Nanos now() {
    return now_ns();
}

// A port nobody listens on right now (ssh binds it a moment later; ExitOnForwardFailure and a
// retry cover the race).
std::uint16_t free_local_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw SshError(fmt::format("cannot create a socket: {}", std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw SshError(fmt::format("cannot find a free local port: {}", std::strerror(e)));
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

std::uint16_t random_remote_port() {
    static std::mt19937 rng{std::random_device{}()};
    return std::uint16_t(std::uniform_int_distribution<int>(20000, 59999)(rng));
}

bool contains(const std::string& s, std::string_view what) {
    return s.find(what) != std::string::npos;
}

// The last non-empty lines of text, joined with "; ".
std::string last_lines(const std::string& text, int n) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '.'))
            line.pop_back();
        // ssh's note about a newly accepted host key is no reason for anything.
        if (!line.empty() && line.rfind("Warning: Permanently added", 0) != 0)
            lines.push_back(std::move(line));
        start = end + 1;
    }
    std::string out;
    for (std::size_t i = lines.size() > std::size_t(n) ? lines.size() - std::size_t(n) : 0; i < lines.size();
         ++i)
        out += (out.empty() ? "" : "; ") + lines[i];
    return out;
}

void append_bounded(std::string& s, const char* data, std::size_t n) {
    s.append(data, n);
    if (s.size() > kStderrKeep)
        s.erase(0, s.size() - kStderrKeep);
}

} // namespace

std::string shell_quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

SshLauncher::SshLauncher(SshLaunchOptions options)
    : m_options(std::move(options)) {
    m_data_host = m_options.host;
}

SshLauncher::~SshLauncher() {
    stop();
}

std::string SshLauncher::control_url() const {
    return fmt::format("tcp://127.0.0.1:{}", m_local_port);
}

std::string SshLauncher::stderr_text() const {
    std::lock_guard lock(m_mutex);
    return m_stderr_text;
}

std::string SshLauncher::stderr_tail() const {
    std::lock_guard lock(m_mutex);
    return last_lines(m_stderr_text, 3);
}

void SshLauncher::start() {
    if (m_options.host.empty())
        throw SshError("ssh: no host given");
    // ssh would read a host starting with '-' as an option.
    if (m_options.host.front() == '-' || (!m_options.user.empty() && m_options.user.front() == '-'))
        throw SshError(fmt::format("ssh: '{}' is not a host name", m_options.host));
    if (m_options.remote_pong.empty())
        throw SshError("ssh: no remote latency-pong path given");
    resolve_data_host();
    const Nanos deadline = now() + m_options.timeout;
    std::uint16_t remote_port = m_options.remote_control_port;
    for (int i = 0; i < kPortAttempts; ++i) {
        if (attempt(remote_port ? remote_port : random_remote_port(), deadline) == Attempt::Ready) {
            if (::pipe2(m_wake, O_CLOEXEC) != 0)
                m_wake[0] = m_wake[1] = -1; // the drainer then ends with ssh's pipes
            m_drainer = std::thread([this] { drain(); });
            return;
        }
        remote_port = 0; // the given one is taken: any other will do
    }
    throw SshError(failure(m_stderr_text, false));
}

void SshLauncher::resolve_data_host() {
    // `ssh -G` prints the configuration ssh would use without connecting: it turns an alias
    // from ~/.ssh/config into the real host name, which is where the pings must go.
    std::vector<std::string> argv{m_options.ssh_program, "-G"};
    argv.insert(argv.end(), m_options.extra_options.begin(), m_options.extra_options.end());
    argv.push_back(m_options.host);
    Child c;
    try {
        c = spawn_piped(argv);
    } catch (const SshError&) {
        return; // the real launch reports it
    }
    close_fd(c.in);
    close_fd(c.err);
    std::string out;
    const Nanos deadline = now() + 3 * kNanosPerSecond;
    for (;;) {
        pollfd p{c.out, POLLIN, 0};
        const Nanos left = deadline - now();
        if (left <= 0 || ::poll(&p, 1, int(left / kNanosPerMilli) + 1) <= 0)
            break;
        char buf[4096];
        const ssize_t n = ::read(c.out, buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, std::size_t(n));
    }
    close_fd(c.out);
    ::kill(c.pid, SIGKILL); // harmless when it is done already
    ::waitpid(c.pid, nullptr, 0);
    for (std::size_t start = 0; start < out.size();) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos)
            end = out.size();
        const std::string line = out.substr(start, end - start);
        if (line.rfind("hostname ", 0) == 0 && line.size() > 9) {
            m_data_host = line.substr(9);
            return;
        }
        start = end + 1;
    }
}

SshLauncher::Attempt SshLauncher::attempt(std::uint16_t remote_port, Nanos deadline) {
    m_local_port = free_local_port();
    const std::string remote = m_options.remote_pong;
    // "~/bin/latency-pong" must stay expandable by the remote shell; everything else is quoted.
    const std::string pong =
        remote.rfind("~/", 0) == 0 ? "~/" + shell_quote(remote.substr(2)) : shell_quote(remote);
    // A fresh token per launch, made on the remote host in a private file and told to us over the
    // encrypted channel: other users of that host cannot use the agent on its loopback port. The
    // agent reads it through a descriptor, the file itself is gone before the agent starts. `sh -c`
    // so that any login shell (csh, fish) will do.
    const std::string script = fmt::format(
        "umask 077; f=$(mktemp) || exit 1; od -An -N32 -tx1 /dev/urandom | tr -d ' \\n' > \"$f\"; "
        "echo \"{}$(cat \"$f\")\"; exec 3< \"$f\"; rm -f \"$f\"; "
        "exec {} --agent --control tcp://127.0.0.1:{} --token-file /dev/fd/3 --exit-on-eof",
        kTokenPrefix, pong, remote_port);
    const std::string remote_cmd = "exec sh -c " + shell_quote(script);

    m_command = {m_options.ssh_program,
                 "-T",
                 "-o",
                 "BatchMode=yes",
                 "-o",
                 "ExitOnForwardFailure=yes",
                 "-o",
                 "ServerAliveInterval=1",
                 "-o",
                 "ServerAliveCountMax=3",
                 "-L",
                 fmt::format("127.0.0.1:{}:127.0.0.1:{}", m_local_port, remote_port)};
    if (m_options.port)
        m_command.insert(m_command.end(), {"-p", std::to_string(m_options.port)});
    if (!m_options.user.empty())
        m_command.insert(m_command.end(), {"-l", m_options.user});
    m_command.insert(m_command.end(), m_options.extra_options.begin(), m_options.extra_options.end());
    m_command.push_back(m_options.host);
    m_command.push_back(remote_cmd);

    spawn(m_command);
    std::string out, err;
    bool out_open = true, err_open = true, timed_out = false;
    while (out_open || err_open) {
        const Nanos left = deadline - now();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        pollfd p[2] = {{out_open ? m_stdout : -1, POLLIN, 0}, {err_open ? m_stderr : -1, POLLIN, 0}};
        if (m_options.cancel && m_options.cancel->load()) {
            reap(0);
            close_fd(m_stdin);
            close_fd(m_stdout);
            close_fd(m_stderr);
            throw SshError("ssh start cancelled");
        }
        const int rc = ::poll(p, 2, int(std::min<Nanos>(left / kNanosPerMilli + 1, 100)));
        if (rc < 0 && errno != EINTR)
            break;
        char buf[4096];
        if (p[0].revents) {
            const ssize_t n = ::read(m_stdout, buf, sizeof buf);
            if (n <= 0)
                out_open = false;
            else
                out.append(buf, std::size_t(n));
            if (const auto at = out.find(kReadyPrefix);
                at != std::string::npos && out.find('\n', at) != std::string::npos) {
                if (const auto t = out.find(kTokenPrefix); t != std::string::npos) {
                    const auto begin = t + kTokenPrefix.size();
                    m_token = out.substr(begin, out.find('\n', begin) - begin);
                }
                if (m_token.size() < 32) {
                    reap(0);
                    close_fd(m_stdin);
                    close_fd(m_stdout);
                    close_fd(m_stderr);
                    throw SshError(
                        fmt::format("no token from the remote host (od, tr and mktemp are needed there)"));
                }
                std::lock_guard lock(m_mutex);
                m_stderr_text = err;
                return Attempt::Ready;
            }
        }
        if (p[1].revents) {
            const ssize_t n = ::read(m_stderr, buf, sizeof buf);
            if (n <= 0)
                err_open = false;
            else
                append_bounded(err, buf, std::size_t(n));
        }
    }
    // ssh ended (or the time is up) without the agent saying it listens.
    reap(timed_out ? 0 : kNanosPerSecond);
    close_fd(m_stdin);
    close_fd(m_stdout);
    close_fd(m_stderr);
    m_stderr_text = err;
    if (!timed_out && contains(err, "already in use"))
        return Attempt::PortTaken;
    throw SshError(failure(err, timed_out));
}

std::string SshLauncher::failure(const std::string& err, bool timed_out) const {
    const std::string target =
        m_options.user.empty() ? m_options.host : m_options.user + "@" + m_options.host;
    const std::string said = last_lines(err, 2);
    const std::string detail = said.empty() ? "" : fmt::format(" ({})", said);
    if (contains(err, "Permission denied (") || contains(err, "Too many authentication failures"))
        return fmt::format("ssh to {}: authentication failed{}. ssh runs in batch mode (no password "
                           "prompt): the key must be in ssh-agent, ~/.ssh or given with -i",
                           target, detail);
    if (contains(err, "Could not resolve hostname"))
        return fmt::format("ssh: cannot resolve the host name '{}'{}", m_options.host, detail);
    if (contains(err, "Host key verification failed") ||
        contains(err, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        return fmt::format("ssh to {}: the host key is unknown or has changed{}; connect once with ssh "
                           "to check and accept it",
                           target, detail);
    if (contains(err, "Connection timed out") || contains(err, "Connection refused") ||
        contains(err, "No route to host") || contains(err, "Network is unreachable") ||
        contains(err, "Operation timed out") || contains(err, "connect to host"))
        return fmt::format("ssh cannot reach {}{}", target, detail);
    if (contains(err, "not found") || contains(err, "No such file") || contains(err, "Permission denied"))
        return fmt::format("'{}' cannot be started on {}{}: set the remote path of latency-pong",
                           m_options.remote_pong, target, detail);
    if (contains(err, "--agent") || contains(err, "--exit-on-eof") || contains(err, "--control"))
        return fmt::format("the latency-pong on {} has no agent mode (an older version?){}", target, detail);
    if (contains(err, "already in use"))
        return fmt::format("ssh to {}: no free port for the control channel after {} attempts{}", target,
                           kPortAttempts, detail);
    if (timed_out)
        return fmt::format("no 'agent listening on' answer from {} within {:.0f} s{}", target,
                           double(m_options.timeout) / kNanosPerSecond, detail);
    return fmt::format("ssh to {} ended before the agent started{}", target,
                       detail.empty() ? " (no message)" : detail);
}

void SshLauncher::spawn(const std::vector<std::string>& argv) {
    const Child c = spawn_piped(argv);
    std::lock_guard lock(m_process_mutex);
    m_pid = c.pid;
    m_stdin = c.in;
    m_stdout = c.out;
    m_stderr = c.err;
    m_exited = false;
}

bool SshLauncher::running() {
    std::lock_guard lock(m_process_mutex);
    if (m_pid <= 0 || m_exited)
        return false;
    if (::waitpid(m_pid, &m_status, WNOHANG) == m_pid)
        m_exited = true;
    return !m_exited;
}

std::string SshLauncher::exit_reason() {
    if (running())
        return "ssh is running";
    std::lock_guard lock(m_process_mutex);
    if (WIFSIGNALED(m_status))
        return fmt::format("ssh was killed (signal {})", WTERMSIG(m_status));
    const int code = WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
    if (code == 255) // ssh's own failure: its last words say what (connection closed, timeout)
        return fmt::format("ssh failed: {}", last_lines(stderr_text(), 1));
    return fmt::format("ssh ended (the agent exited with status {})", code);
}

void SshLauncher::reap(Nanos grace) {
    std::lock_guard lock(m_process_mutex);
    if (m_pid <= 0 || m_exited)
        return;
    const auto wait_for = [this](Nanos d) {
        const Nanos until = now() + d;
        do {
            if (::waitpid(m_pid, &m_status, WNOHANG) == m_pid)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } while (now() < until);
        return false;
    };
    if (!wait_for(grace)) {
        ::kill(m_pid, SIGTERM);
        if (!wait_for(kNanosPerSecond)) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &m_status, 0);
        }
    }
    m_exited = true;
}

void SshLauncher::drain() {
    int stdout_fd = m_stdout, stderr_fd = m_stderr;
    while (stdout_fd >= 0 || stderr_fd >= 0) {
        pollfd p[3] = {{stdout_fd, POLLIN, 0}, {stderr_fd, POLLIN, 0}, {m_wake[0], POLLIN, 0}};
        if (::poll(p, 3, -1) < 0 && errno != EINTR)
            return;
        if (p[2].revents)
            return;
        char buf[4096];
        if (p[0].revents && ::read(stdout_fd, buf, sizeof buf) <= 0)
            stdout_fd = -1;
        if (p[1].revents) {
            const ssize_t n = ::read(stderr_fd, buf, sizeof buf);
            if (n <= 0) {
                stderr_fd = -1;
            } else {
                std::lock_guard lock(m_mutex);
                append_bounded(m_stderr_text, buf, std::size_t(n));
            }
        }
    }
}

void SshLauncher::stop() {
    // EOF on the agent's stdin: it stops its endpoints and exits, then ssh exits by itself.
    close_fd(m_stdin);
    reap(3 * kNanosPerSecond);
    if (m_drainer.joinable()) {
        if (m_wake[1] >= 0)
            (void)!::write(m_wake[1], "x", 1);
        m_drainer.join();
    }
    close_fd(m_stdout);
    close_fd(m_stderr);
    close_fd(m_wake[0]);
    close_fd(m_wake[1]);
}

} // namespace le
