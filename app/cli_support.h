#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace le::cli {

// Exit codes shared by the command-line programs.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // the run could not start or ended early
inline constexpr int kExitUsage = 2;   // bad flag or value

// Runs app.parse(); on a usage error prints "PROGRAM: error: ..." and returns kExitUsage, on --help
// prints help and returns kExitOk; returns -1 when parsing succeeded.
int parse(CLI::App& app, int argc, char** argv);

// Converts one option's text with `parse`, turning std::invalid_argument into a usage error that
// names the option: "--rate: invalid rate 'abc' (expected ...)".
template <class T, class Parse> T convert(const std::string& option, const std::string& text, Parse&& parse) {
    try {
        return parse(text);
    } catch (const std::exception& e) {
        throw CLI::ValidationError(option, e.what());
    }
}

// A CLI11 check that runs `parse` on the option's text and reports its exception's message as the
// usage error; `name` is the value's placeholder in --help ("DUR", "LIST").
template <class Parse> CLI::Validator validator(std::string name, Parse parse) {
    return CLI::Validator(
        [parse](std::string& s) -> std::string {
            try {
                parse(s);
                return {};
            } catch (const std::exception& e) {
                return e.what();
            }
        },
        std::move(name));
}

// SIGINT and SIGTERM set this flag instead of killing the process, so runs end with a summary.
void install_stop_signals();
bool stop_requested();

} // namespace le::cli
