#pragma once

#include "clock.h"

#include <sys/types.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace le {

// Another program run as a child with its output on pipes (the system ping, ssh), read as it comes.

struct ChildOptions {
    std::vector<std::string> argv;      // argv[0] is looked up on PATH
    bool pipe_stdin = false;            // else the child shares ours
    bool merge_stderr = false;          // stderr into the stdout pipe, else a pipe of its own
    bool own_process_group = false;     // Ctrl-C in the terminal then reaches us, not the child
    std::vector<std::string> set_env;   // "NAME=VALUE", replacing NAME in our environment
    std::vector<std::string> unset_env; // NAME, left out of the child's environment
};

// Starting the child failed; error() is the errno (ENOENT: no such program).
class ChildProcessError : public std::runtime_error {
public:
    ChildProcessError(const std::string& what, int error)
        : std::runtime_error(what)
        , m_error(error) {}
    int error() const { return m_error; }

private:
    int m_error;
};

enum class ChildStream { Out, Err };

// One running child. Its pipes are close-on-exec in us, so no other child inherits one (which would
// keep its stdin open after close_stdin()), and only 0, 1 and 2 survive in it (glibc 2.34 and later
// close the rest), so nothing of ours (a listening socket) lives on in it. The destructor closes the
// pipes and, when the child was not reaped yet, kills (SIGKILL) and reaps it.
//
// Three groups of calls touch disjoint state, so each group may run on a thread of its own (ssh's
// output is drained on one thread while another asks whether ssh still runs): the output (read_output,
// close_output), stdin (close_stdin) and the process (try_reap, wait_for, wait, terminate, signal,
// status, reaped). Calls within a group must not overlap.
class ChildProcess {
public:
    // Starts the child. Throws ChildProcessError: "cannot create a pipe: ..." or
    // "cannot run 'ARGV0': No such file or directory".
    explicit ChildProcess(const ChildOptions& options);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return m_pid; }
    // EOF on the child's stdin. Idempotent.
    void close_stdin();

    // Waits at most `timeout` for output, hands every chunk read to `sink` (at most one read per
    // stream per call) and closes a stream at its end. Returns false once every output stream is
    // closed (or poll fails), true otherwise, also when nothing came.
    using Sink = std::function<void(ChildStream, std::string_view)>;
    bool read_output(Nanos timeout, const Sink& sink);
    // Stops reading: closes our ends of stdout and stderr. Idempotent.
    void close_output();

    // True once the child has exited and is reaped (without waiting).
    bool try_reap();
    // Waits up to `timeout` (polling every 10 ms) for the child to exit; true once reaped.
    bool wait_for(Nanos timeout);
    // Waits for the child to exit.
    void wait();
    // Gives the child `grace` to exit, then SIGTERM and a second, then SIGKILL; reaped afterwards.
    void terminate(Nanos grace);
    // Sends `signal` unless the child is reaped already (its pid could then be another process's).
    void signal(int signal);
    // waitpid()'s status once reaped (WIFEXITED, WEXITSTATUS, ...); 0 before.
    int status() const { return m_status; }
    bool reaped() const { return m_reaped; }

private:
    pid_t m_pid = -1;
    int m_in = -1, m_out = -1, m_err = -1;
    bool m_reaped = false;
    int m_status = 0;
};

} // namespace le
