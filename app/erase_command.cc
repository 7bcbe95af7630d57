// `ctrace erase`: one erase pass on a stopped service's data directory.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "app/settings.h"
#include "ingest/embedded_log.h"
#include "processors/erase_pass.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

namespace {

struct EraseFlags {
  std::string data = "./ctrace-data";
  std::string clock = "system";
  ParamFlags params;
  std::string compression = "true";
};

int RunErase(const EraseFlags& flags) {
  TracingParams params;
  std::string error;
  if (!ResolveParams(flags.params, &params, &error)) {
    std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
    return kExitUsage;
  }
  auto clock = MakeClock(flags.clock, &error);
  if (!clock) {
    std::fprintf(stderr, "ctrace: error: --clock: %s\n", error.c_str());
    return kExitUsage;
  }
  LogOptions log_options;
  log_options.compression = flags.compression != "false";
  std::unique_ptr<EmbeddedLog> log;
  if (std::filesystem::exists(flags.data + "/log")) {
    log = EmbeddedLog::Open(flags.data + "/log", log_options, &error);
    if (!log) {
      spdlog::error("component=erase error=\"{}\" hint=\"stop the service first, or use POST /v1/admin/erase\"", error);
      return kExitFailure;
    }
  }
  StoreOptions store_options;
  store_options.compression = log_options.compression;
  auto store = StateStore::Open(flags.data + "/state", store_options, &error);
  if (!store) {
    spdlog::error("component=erase error=\"{}\"", error);
    return kExitFailure;
  }
  TracingEngine engine(store.get(), params);
  ErasePass pass(flags.data, log.get(), store.get(), &engine);
  EraseReport report;
  if (!pass.Run(clock->Now(), &report, &error)) {
    spdlog::error("component=erase error=\"{}\"", error);
    return kExitFailure;
  }
  std::printf("{\"erased_events\": %llu, \"erased_log_events\": %llu, \"bytes_reclaimed\": %lld, \"cut\": \"%s\", \"duration_ms\": %lld}\n",
              static_cast<unsigned long long>(report.erased_events),
              static_cast<unsigned long long>(report.erased_log_events),
              static_cast<long long>(report.bytes_reclaimed()), FormatUtc(report.cut).c_str(),
              static_cast<long long>(report.duration));
  return kExitOk;
}

}  // namespace

CommandRunner AddEraseCommand(CLI::App& app) {
  auto flags = std::make_shared<EraseFlags>();
  auto* sub = app.add_subcommand("erase", "run an erase pass on a stopped service's data directory");
  AddOption(sub, "--data", &flags->data, "the data directory");
  AddClockOption(sub, &flags->clock);
  AddParamOptions(sub, &flags->params);
  AddOption(sub, "--compression", &flags->compression, "compress stored files (true|false)");
  return [flags] { return RunErase(*flags); };
}

}  // namespace ctrace
