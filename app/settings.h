// Command-line settings shared by the subcommands: flags, their CTRACE_* environment
// variables and the config file, with flags > environment > file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/clock.h"
#include "model/params.h"

namespace ctrace {

// The tracing parameters as their flag strings, parsed once the command line is read.
struct ParamFlags {
  std::string retention = "30d";
  std::string min_overlap = "15m";
  std::string default_stay = "60m";
  std::string max_stay = "12h";
  std::string infectious_lead = "48h";
  std::string isolation_lag = "24h";
  std::string onset_lookback = "14d";
  std::string onward_window = "14d";
  int max_depth = 2;
  int hotspot_cases = 3;
  std::string hotspot_window = "7d";
  std::string max_clock_skew = "5m";
};

// Adds --flag options for every tracing parameter, each with its CTRACE_* variable.
void AddParamOptions(CLI::App* app, ParamFlags* flags);
// Adds --clock.
void AddClockOption(CLI::App* app, std::string* clock_spec);
// Adds an option with its CTRACE_<NAME> environment variable (name: the flag without dashes).
CLI::Option* AddOption(CLI::App* app, const std::string& flag, std::string* value, const std::string& help);
CLI::Option* AddOption(CLI::App* app, const std::string& flag, int* value, const std::string& help);
CLI::Option* AddOption(CLI::App* app, const std::string& flag, double* value, const std::string& help);
CLI::Option* AddOption(CLI::App* app, const std::string& flag, uint64_t* value, const std::string& help);

// Parses the duration flags. Returns false and sets *error to a one-line message naming the flag.
bool ResolveParams(const ParamFlags& flags, TracingParams* params, std::string* error);

// Rewrites argv so that settings from the config file named by --config (TOML) fill in what
// neither the command line nor the environment sets. Keys are flag names (`min-overlap` or
// `min_overlap`), at the top level or in a table named after the subcommand. Returns false and
// sets *error on a bad file or an unknown key.
bool MergeConfigFile(CLI::App& app, std::vector<std::string>* args, std::string* error);

}  // namespace ctrace
