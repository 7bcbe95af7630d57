// The subcommands of the `ctrace` binary. Each registers its flags on a CLI11 subcommand and
// runs once the command line is parsed, returning the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ctrace {

using CommandRunner = std::function<int()>;

// Each adds its subcommand to `app` and returns what runs it.
CommandRunner AddServeCommand(CLI::App& app);
CommandRunner AddIngestCommand(CLI::App& app);
CommandRunner AddSimulateCommand(CLI::App& app);
CommandRunner AddTopicsCommand(CLI::App& app);
CommandRunner AddEraseCommand(CLI::App& app);
CommandRunner AddReplayCommand(CLI::App& app);

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace ctrace
