// `ctrace simulate`: a synthetic town's events as NDJSON, deterministic for a seed.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/settings.h"
#include "app/simulate.h"

namespace ctrace {

namespace {

struct SimulateFlags {
  SimulateOptions options;
  std::string end;  // empty: the clock's now
  std::string clock = "system";
  std::string output = "-";
};

int RunSimulate(SimulateFlags flags) {
  std::string error;
  if (flags.end.empty()) {
    auto clock = MakeClock(flags.clock, &error);
    if (!clock) {
      std::fprintf(stderr, "ctrace: error: --clock: %s\n", error.c_str());
      return kExitUsage;
    }
    flags.options.end = clock->Now();
  } else {
    const auto end = ParseRfc3339(flags.end);
    if (!end) {
      std::fprintf(stderr, "ctrace: error: --end: '%s' is not an RFC 3339 time\n", flags.end.c_str());
      return kExitUsage;
    }
    flags.options.end = *end;
  }
  error = flags.options.Validate();
  if (!error.empty()) {
    std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
    return kExitUsage;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (flags.output != "-") {
    file.open(flags.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "ctrace: error: --output: cannot write %s\n", flags.output.c_str());
      return kExitFailure;
    }
    out = &file;
  }
  const uint64_t events = WriteTown(flags.options, *out);
  out->flush();
  std::fprintf(stderr, "simulate: wrote %llu events\n", static_cast<unsigned long long>(events));
  return *out ? kExitOk : kExitFailure;
}

}  // namespace

CommandRunner AddSimulateCommand(CLI::App& app) {
  auto flags = std::make_shared<SimulateFlags>();
  auto* sub = app.add_subcommand("simulate", "write a synthetic town's events as NDJSON");
  sub->add_option("--seed", flags->options.seed, "random seed")->envname("CTRACE_SEED")->capture_default_str();
  sub->add_option("--people", flags->options.people, "number of people")->envname("CTRACE_PEOPLE")->capture_default_str();
  sub->add_option("--venues", flags->options.venues, "number of venues")->envname("CTRACE_VENUES")->capture_default_str();
  sub->add_option("--districts", flags->options.districts, "number of districts")->envname("CTRACE_DISTRICTS")->capture_default_str();
  sub->add_option("--days", flags->options.days, "days simulated")->envname("CTRACE_DAYS")->capture_default_str();
  sub->add_option("--outbreak-seeds", flags->options.outbreak_seeds, "people infected at the start")
      ->envname("CTRACE_OUTBREAK_SEEDS")->capture_default_str();
  sub->add_option("--transmission-rate", flags->options.transmission_rate, "chance one long contact infects")
      ->envname("CTRACE_TRANSMISSION_RATE")->capture_default_str();
  sub->add_option("--checkout-rate", flags->options.checkout_rate, "share of visits with a check-out")
      ->envname("CTRACE_CHECKOUT_RATE")->capture_default_str();
  AddOption(sub, "--end", &flags->end, "RFC 3339 time the simulated span ends (default: the clock's now)");
  AddClockOption(sub, &flags->clock);
  AddOption(sub, "--output,-o", &flags->output, "file to write (- for stdout)");
  return [flags] { return RunSimulate(*flags); };
}

}  // namespace ctrace
