// `ctrace`: one binary, with subcommands (see docs/operations.md).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/settings.h"

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("ctrace"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  if (const char* level = std::getenv("CTRACE_LOG_LEVEL")) spdlog::set_level(spdlog::level::from_str(level));

  CLI::App app{"ctrace: event-sourced contact tracing"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  std::map<std::string, ctrace::CommandRunner> runners;
  runners["serve"] = ctrace::AddServeCommand(app);
  runners["ingest"] = ctrace::AddIngestCommand(app);
  runners["simulate"] = ctrace::AddSimulateCommand(app);
  runners["topics"] = ctrace::AddTopicsCommand(app);
  runners["erase"] = ctrace::AddEraseCommand(app);
  runners["replay"] = ctrace::AddReplayCommand(app);
  for (auto* sub : app.get_subcommands({})) {
    sub->add_option("--config", "a TOML file of settings (flags and CTRACE_* variables win over it)")
        ->envname("CTRACE_CONFIG");
  }

  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  if (!ctrace::MergeConfigFile(app, &args, &error)) {
    std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
    return ctrace::kExitUsage;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return ctrace::kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return ctrace::kExitOk;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ctrace: error: %s\n", e.what());
    return ctrace::kExitUsage;
  }
  for (auto* sub : app.get_subcommands()) {
    const auto runner = runners.find(sub->get_name());
    if (runner != runners.end()) return runner->second();
  }
  std::fprintf(stderr, "ctrace: error: a subcommand is required (see ctrace --help)\n");
  return ctrace::kExitUsage;
}
