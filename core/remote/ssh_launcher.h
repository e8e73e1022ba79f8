#pragma once

#include "child_process.h"
#include "clock.h"

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace le {

// How to start a remote `latency-pong --agent` through the system's ssh (the user's own
// ~/.ssh/config, keys and ssh-agent apply; nothing is stored here).
struct SshLaunchOptions {
    std::string host;                         // name or address (a ~/.ssh/config alias works too)
    std::string user;                         // empty: ssh's default
    std::uint16_t port = 0;                   // 0: ssh's default
    std::string remote_pong = "latency-pong"; // path (or name on the remote PATH)
    std::vector<std::string> extra_options;   // inserted before the host: -i KEY, -o K=V, -J ...
    std::string ssh_program = "ssh";
    Nanos timeout = 15 * kNanosPerSecond; // for the "agent listening on" line
    // Set from another thread to give up a start() under way within ~0.1 s (a window closing
    // while ssh still tries an unreachable host). Must outlive start().
    const std::atomic<bool>* cancel = nullptr;
    // Port of the agent's control channel on the remote loopback; 0: a random high port, retried
    // with another when the remote one is taken.
    std::uint16_t remote_control_port = 0;
};

// Why a launch failed, in words naming what failed ("ssh to HOST: authentication failed ...").
class SshError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One ssh process running `latency-pong --agent --exit-on-eof` on a remote host, its control
// channel tunnelled to a local port (-L) while the data plane goes direct. The agent listens on the
// remote loopback and asks for a token made for this launch, so other users there cannot use it. Closing
// ssh's stdin (stop(), the destructor, or this process dying) makes the remote agent exit, so nothing is left
// behind on the remote host.
class SshLauncher {
public:
    explicit SshLauncher(SshLaunchOptions options);
    ~SshLauncher();
    SshLauncher(const SshLauncher&) = delete;
    SshLauncher& operator=(const SshLauncher&) = delete;

    // Starts ssh and waits (at most options.timeout) until the agent says it listens. Throws
    // SshError with a message meant for the user. Call once.
    void start();
    // Closes ssh's stdin (the agent exits on EOF), waits briefly, then terminates ssh. Idempotent.
    void stop();
    // ssh is still running (false after stop() or when the connection dropped).
    bool running();

    // tcp://127.0.0.1:LOCALPORT, the local end of the tunnel (valid after start()).
    std::string control_url() const;
    // Where pings reach the agent's endpoints: the host ssh actually connects to (`ssh -G`
    // resolves config aliases), else options.host.
    std::string data_host() const { return m_data_host; }
    // The agent's token, made afresh on the remote host for this launch (see attempt()).
    std::string token() const { return m_token; }
    // Why ssh is no longer running: "ssh was killed (signal 9)", "ssh failed: Connection to HOST
    // closed by remote host", ...
    std::string exit_reason();
    // ssh's process id (of the last attempt), -1 before start().
    pid_t pid() const;
    // The ssh command line of the last attempt (for display and logs).
    const std::vector<std::string>& command() const { return m_command; }
    const SshLaunchOptions& options() const { return m_options; }

private:
    enum class Attempt { Ready, PortTaken };
    Attempt attempt(std::uint16_t remote_port, Nanos deadline);
    void end_attempt(Nanos grace); // a failed attempt: ssh reaped, its pipes closed
    void spawn(const std::vector<std::string>& argv);
    void resolve_data_host();
    void reap(Nanos grace);
    void drain(); // after start: keeps reading ssh's output so the pipes never fill
    std::string stderr_text() const;
    std::string failure(const std::string& stderr_text, bool timed_out) const;

    SshLaunchOptions m_options;
    std::string m_data_host;
    std::string m_token;
    std::vector<std::string> m_command;
    std::uint16_t m_local_port = 0;
    std::mutex m_process_mutex; // reaping m_child (the drainer only reads its output)
    std::unique_ptr<ChildProcess> m_child;
    mutable std::mutex m_mutex; // m_stderr_text
    std::string m_stderr_text;
    std::thread m_drainer;
    std::atomic<bool> m_stop_drain{false};
};

// The remote command as one shell word list: each argument single-quoted for the remote shell.
std::string shell_quote(const std::string& word);

} // namespace le
