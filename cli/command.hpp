#pragma once

// Each cli/<command>.cpp registers its subcommand with a static RegisterCommand object, so adding
// a command means adding one file; main.cpp never changes.

#include <CLI/CLI.hpp>

#include <vector>

namespace embedkit::cli {

using CommandSetup = void (*)(CLI::App& app);

inline std::vector<CommandSetup>& command_registry() {
    static std::vector<CommandSetup> registry;
    return registry;
}

struct RegisterCommand {
    explicit RegisterCommand(CommandSetup setup) { command_registry().push_back(setup); }
};

}  // namespace embedkit::cli
