// Runs a shell command (the embedkit CLI, a reference tool) and captures its output and status.
#pragma once

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <sys/wait.h>

namespace embedkit::testing {

struct CommandResult {
    int status = -1;  ///< exit status, -1 when the command did not exit normally
    std::string out;  ///< stdout and stderr together
};

/// Runs `command` through the shell; stderr is folded into stdout, or discarded without `merge_stderr`.
inline CommandResult run_command(const std::string& command, bool merge_stderr = true) {
    CommandResult result;
    const std::string line = command + (merge_stderr ? " 2>&1" : " 2>/dev/null");
    FILE* pipe = ::popen(line.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// Quotes `text` for the shell (single quotes; embedded single quotes closed and escaped).
inline std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

#ifdef EMBEDKIT_CLI_PATH
/// The embedkit CLI built with the tests, or "" when it was not built.
inline const std::string& cli_path() {
    static const std::string path = EMBEDKIT_CLI_PATH;
    return path;
}

/// Runs the embedkit CLI with `args` (already quoted where needed).
inline CommandResult run_cli(const std::string& args, bool merge_stderr = true) {
    return run_command(shell_quote(cli_path()) + " " + args, merge_stderr);
}
#endif

}  // namespace embedkit::testing
