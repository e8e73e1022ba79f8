#include "ssh_launcher.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
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

namespace le {

namespace {

constexpr std::string_view kReadyPrefix = "agent listening on ";
constexpr std::string_view kTokenPrefix = "agent token ";
constexpr std::size_t kStderrKeep = 4096;
constexpr int kPortAttempts = 3;

// ssh with its stdin, stdout and stderr on pipes, in its own process group: Ctrl-C in the terminal
// stops the window, which then closes ssh in order (the remote agent exits on EOF) instead of ssh
// dying first.
std::unique_ptr<ChildProcess> start_ssh(const std::vector<std::string>& argv) {
    ChildOptions options;
    options.argv = argv;
    options.pipe_stdin = true;
    options.own_process_group = true;
    try {
        return std::make_unique<ChildProcess>(options);
    } catch (const ChildProcessError& e) {
        throw SshError(
            fmt::format("{}{}", e.what(), e.error() == ENOENT ? " (is openssh-client installed?)" : ""));
    }
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

void append_bounded(std::string& s, std::string_view bytes) {
    s.append(bytes);
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
    std::unique_ptr<ChildProcess> ssh;
    try {
        ssh = start_ssh(argv);
    } catch (const SshError&) {
        return; // the real launch reports it
    }
    ssh->close_stdin();
    std::string out;
    const auto keep_stdout = [&](ChildStream stream, std::string_view bytes) {
        if (stream == ChildStream::Out)
            out.append(bytes);
    };
    const Nanos deadline = now() + 3 * kNanosPerSecond;
    for (Nanos left = deadline - now(); left > 0 && ssh->read_output(left, keep_stdout);
         left = deadline - now()) {
    }
    ssh.reset(); // killed (harmless when it is done already) and reaped
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
    const auto keep = [&](ChildStream stream, std::string_view bytes) {
        if (stream == ChildStream::Out)
            out.append(bytes);
        else
            append_bounded(err, bytes);
    };
    bool timed_out = false;
    for (;;) {
        const Nanos left = deadline - now();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        if (m_options.cancel && m_options.cancel->load()) {
            end_attempt(0);
            throw SshError("ssh start cancelled");
        }
        if (!m_child->read_output(std::min<Nanos>(left, 100 * kNanosPerMilli), keep))
            break;
        if (const auto at = out.find(kReadyPrefix);
            at != std::string::npos && out.find('\n', at) != std::string::npos) {
            if (const auto t = out.find(kTokenPrefix); t != std::string::npos) {
                const auto begin = t + kTokenPrefix.size();
                m_token = out.substr(begin, out.find('\n', begin) - begin);
            }
            if (m_token.size() < 32) {
                end_attempt(0);
                throw SshError(
                    fmt::format("no token from the remote host (od, tr and mktemp are needed there)"));
            }
            std::lock_guard lock(m_mutex);
            m_stderr_text = err;
            return Attempt::Ready;
        }
    }
    // ssh ended (or the time is up) without the agent saying it listens.
    end_attempt(timed_out ? 0 : kNanosPerSecond);
    {
        std::lock_guard lock(m_mutex);
        m_stderr_text = err;
    }
    if (!timed_out && contains(err, "already in use"))
        return Attempt::PortTaken;
    throw SshError(failure(err, timed_out));
}

void SshLauncher::end_attempt(Nanos grace) {
    reap(grace);
    m_child->close_stdin();
    m_child->close_output();
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
    auto child = start_ssh(argv);
    std::lock_guard lock(m_process_mutex);
    m_child = std::move(child); // the previous attempt's ssh is reaped already
}

pid_t SshLauncher::pid() const {
    return m_child ? m_child->pid() : -1;
}

bool SshLauncher::running() {
    std::lock_guard lock(m_process_mutex);
    return m_child && !m_child->try_reap();
}

std::string SshLauncher::exit_reason() {
    if (running())
        return "ssh is running";
    std::lock_guard lock(m_process_mutex);
    const int status = m_child ? m_child->status() : 0;
    if (WIFSIGNALED(status))
        return fmt::format("ssh was killed (signal {})", WTERMSIG(status));
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 255) // ssh's own failure: its last words say what (connection closed, timeout)
        return fmt::format("ssh failed: {}", last_lines(stderr_text(), 1));
    return fmt::format("ssh ended (the agent exited with status {})", code);
}

void SshLauncher::reap(Nanos grace) {
    std::lock_guard lock(m_process_mutex);
    if (m_child)
        m_child->terminate(grace);
}

void SshLauncher::drain() {
    // m_child stays while the drainer runs: start() is done with it, stop() joins the drainer first.
    const auto keep_stderr = [this](ChildStream stream, std::string_view bytes) {
        if (stream == ChildStream::Err) {
            std::lock_guard lock(m_mutex);
            append_bounded(m_stderr_text, bytes);
        }
    };
    while (!m_stop_drain.load() && m_child->read_output(100 * kNanosPerMilli, keep_stderr)) {
    }
}

void SshLauncher::stop() {
    // EOF on the agent's stdin: it stops its endpoints and exits, then ssh exits by itself.
    if (m_child)
        m_child->close_stdin();
    reap(3 * kNanosPerSecond);
    if (m_drainer.joinable()) {
        m_stop_drain = true;
        m_drainer.join();
    }
    if (m_child)
        m_child->close_output();
}

} // namespace le
