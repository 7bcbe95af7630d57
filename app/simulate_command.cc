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
  std::string start;  // empty: the span ends at --end
  std::string end;    // empty: the clock's now
  std::string clock = "system";
  std::string output = "-";
  // The durations of the infection, as flag strings ("15m", "24h", "7d").
  std::string transmission_overlap = FormatDuration(SimulateOptions{}.transmission_overlap);
  std::string latent_period = FormatDuration(SimulateOptions{}.latent_period);
  std::string infectious_period = FormatDuration(SimulateOptions{}.infectious_period);
  std::string isolation_period = FormatDuration(SimulateOptions{}.isolation_period);
};

// Parses one duration flag into *value; false (with a message on stderr) when it is not one.
bool ResolveDuration(const char* flag, const std::string& text, DurationMs* value) {
  const auto parsed = ParseDuration(text);
  if (!parsed) {
    std::fprintf(stderr, "ctrace: error: %s: '%s' is not a duration (e.g. 15m, 24h, 7d)\n", flag,
                 text.c_str());
    return false;
  }
  *value = *parsed;
  return true;
}

int RunSimulate(SimulateFlags flags) {
  std::string error;
  if (!ResolveDuration("--transmission-overlap", flags.transmission_overlap,
                       &flags.options.transmission_overlap) ||
      !ResolveDuration("--latent-period", flags.latent_period, &flags.options.latent_period) ||
      !ResolveDuration("--infectious-period", flags.infectious_period, &flags.options.infectious_period) ||
      !ResolveDuration("--isolation-period", flags.isolation_period, &flags.options.isolation_period)) {
    return kExitUsage;
  }
  if (!flags.start.empty()) {
    const auto start = ParseRfc3339(flags.start);
    if (!start) {
      std::fprintf(stderr, "ctrace: error: --start: '%s' is not an RFC 3339 time\n", flags.start.c_str());
      return kExitUsage;
    }
    flags.options.start = *start;
  } else if (flags.end.empty()) {
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
  SimulateOptions& o = flags->options;
  AddOption(sub, "--seed", &o.seed, "random seed");
  AddOption(sub, "--people", &o.people, "number of people");
  AddOption(sub, "--venues", &o.venues, "number of venues");
  AddOption(sub, "--districts", &o.districts, "number of districts (1..99)");
  AddOption(sub, "--days", &o.days, "days simulated");
  // Visits and the awkward cases of tracing.md.
  AddOption(sub, "--checkout-rate", &o.checkout_rate, "share of visits with a check-out");
  AddOption(sub, "--late-checkout-rate", &o.late_checkout_rate, "share of check-outs that come hours late");
  AddOption(sub, "--double-checkout-rate", &o.double_checkout_rate,
            "share of check-outs followed by a second one");
  AddOption(sub, "--offset-rate", &o.offset_rate, "share of times written with +07:00");
  AddOption(sub, "--source-rate", &o.source_rate, "share of events with a source field");
  // Routines.
  AddOption(sub, "--worker-rate", &o.worker_rate, "share of people with a workplace");
  AddOption(sub, "--lunch-out-rate", &o.lunch_out_rate, "share of working days with lunch out");
  AddOption(sub, "--errands-per-day", &o.errands_per_day, "mean errands per person per day (0..20)");
  AddOption(sub, "--home-district-rate", &o.home_district_rate, "share of errands in the home district");
  AddOption(sub, "--zipf-exponent", &o.zipf_exponent, "skew of venue popularity (0: uniform; 0..10)");
  // The outbreak, tests and declarations.
  AddOption(sub, "--outbreak-seeds", &o.outbreak_seeds, "people infected at the start");
  AddOption(sub, "--outbreak-venues", &o.outbreak_venues,
            "when above 0, the first infections happen at this many of the most popular venues");
  AddOption(sub, "--transmission-rate", &o.transmission_rate, "chance one long contact infects");
  AddOption(sub, "--transmission-overlap", &flags->transmission_overlap, "shortest overlap that can infect");
  AddOption(sub, "--crowd-size", &o.crowd_size, "visitors a day beyond which crowds thin out close contact");
  AddOption(sub, "--latent-period", &flags->latent_period, "time from infection to being infectious");
  AddOption(sub, "--infectious-period", &flags->infectious_period,
            "how long an infected person who is never tested is infectious");
  AddOption(sub, "--isolation-period", &flags->isolation_period, "how long a found case stays home");
  AddOption(sub, "--detection-rate", &o.detection_rate, "share of infected people who test positive");
  AddOption(sub, "--retest-rate", &o.retest_rate, "share of cases with a second positive test");
  AddOption(sub, "--declaration-rate", &o.declaration_rate, "share of cases who declare symptoms");
  AddOption(sub, "--test-rate", &o.test_rate, "chance per person per day of a routine (negative) test");
  AddOption(sub, "--healthy-declaration-rate", &o.healthy_declaration_rate,
            "chance per person per day of a declaration without symptoms");
  // The span.
  auto* start = AddOption(sub, "--start", &flags->start,
                          "RFC 3339 time the simulated span starts (instead of --end)");
  auto* end = AddOption(sub, "--end", &flags->end,
                        "RFC 3339 time the simulated span ends (default: the clock's now)");
  start->excludes(end);
  AddClockOption(sub, &flags->clock);
  AddOption(sub, "--output,-o", &flags->output, "file to write (- for stdout)");
  return [flags] { return RunSimulate(*flags); };
}

}  // namespace ctrace
