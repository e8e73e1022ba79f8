#pragma once

#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace le {

// std::thread(f), with the system's refusal (EAGAIN: the limit on threads or processes is reached,
// `ulimit -u`, or memory for a stack is short) turned into a std::runtime_error that names `what`
// ("a connection", "compute task 12") and the likely cause, for the caller to report for that one
// request or connection instead of ending the process.
class ThreadStartError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <class F> std::thread start_thread(const std::string& what, F&& f) {
    try {
        return std::thread(std::forward<F>(f));
    } catch (const std::system_error& e) {
        throw ThreadStartError(
            "cannot start a thread for " + what + ": " + e.code().message() +
            " (out of threads, or of memory for their stacks: see ulimit -u and ulimit -v)");
    }
}

} // namespace le
