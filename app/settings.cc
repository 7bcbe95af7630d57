#include "app/settings.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>

namespace ctrace {

namespace {

std::string EnvName(const std::string& flags) {
  // "--output,-o": the long name only.
  const std::string flag = flags.substr(0, flags.find(','));
  std::string name = "CTRACE_";
  for (char c : flag.substr(flag.find_first_not_of('-'))) {
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

}  // namespace

CLI::Option* AddOption(CLI::App* app, const std::string& flag, std::string* value, const std::string& help) {
  return app->add_option(flag, *value, help)->envname(EnvName(flag))->capture_default_str();
}

CLI::Option* AddOption(CLI::App* app, const std::string& flag, int* value, const std::string& help) {
  return app->add_option(flag, *value, help)->envname(EnvName(flag))->capture_default_str();
}

CLI::Option* AddOption(CLI::App* app, const std::string& flag, double* value, const std::string& help) {
  return app->add_option(flag, *value, help)->envname(EnvName(flag))->capture_default_str();
}

CLI::Option* AddOption(CLI::App* app, const std::string& flag, uint64_t* value, const std::string& help) {
  return app->add_option(flag, *value, help)->envname(EnvName(flag))->capture_default_str();
}

void AddParamOptions(CLI::App* app, ParamFlags* flags) {
  AddOption(app, "--retention", &flags->retention, "how long events stay live (e.g. 30d)");
  AddOption(app, "--min-overlap", &flags->min_overlap, "shortest overlap that is a contact");
  AddOption(app, "--default-stay", &flags->default_stay, "visit length without a check-out");
  AddOption(app, "--max-stay", &flags->max_stay, "latest check-out that still matches its check-in");
  AddOption(app, "--infectious-lead", &flags->infectious_lead, "infectious time before sampling or onset");
  AddOption(app, "--isolation-lag", &flags->isolation_lag, "window end after sampling without a result time");
  AddOption(app, "--onset-lookback", &flags->onset_lookback, "how far before sampling an onset counts");
  AddOption(app, "--onward-window", &flags->onward_window, "how long an exposed person passes exposure on");
  AddOption(app, "--max-depth", &flags->max_depth, "deepest level computed (1..5)");
  AddOption(app, "--hotspot-cases", &flags->hotspot_cases, "distinct cases that make a venue a hotspot");
  AddOption(app, "--hotspot-window", &flags->hotspot_window, "how recent a case visit counts for hotspots");
  AddOption(app, "--max-clock-skew", &flags->max_clock_skew, "how far ahead of now an event may be");
}

void AddClockOption(CLI::App* app, std::string* clock_spec) {
  AddOption(app, "--clock", clock_spec, "system | fixed:RFC3339-TIME | event");
}

bool ResolveParams(const ParamFlags& flags, TracingParams* params, std::string* error) {
  const std::pair<const char*, std::pair<const std::string*, DurationMs*>> durations[] = {
      {"--retention", {&flags.retention, &params->retention}},
      {"--min-overlap", {&flags.min_overlap, &params->min_overlap}},
      {"--default-stay", {&flags.default_stay, &params->default_stay}},
      {"--max-stay", {&flags.max_stay, &params->max_stay}},
      {"--infectious-lead", {&flags.infectious_lead, &params->infectious_lead}},
      {"--isolation-lag", {&flags.isolation_lag, &params->isolation_lag}},
      {"--onset-lookback", {&flags.onset_lookback, &params->onset_lookback}},
      {"--onward-window", {&flags.onward_window, &params->onward_window}},
      {"--hotspot-window", {&flags.hotspot_window, &params->hotspot_window}},
      {"--max-clock-skew", {&flags.max_clock_skew, &params->max_clock_skew}},
  };
  for (const auto& [flag, target] : durations) {
    const auto parsed = ParseDuration(*target.first);
    if (!parsed) {
      *error = std::string(flag) + ": '" + *target.first +
               "' is not a duration (a whole number with ms, s, m, h or d, e.g. 15m)";
      return false;
    }
    *target.second = *parsed;
  }
  params->max_depth = flags.max_depth;
  params->hotspot_cases = flags.hotspot_cases;
  *error = params->Validate();
  return error->empty();
}

bool MergeConfigFile(CLI::App& app, std::vector<std::string>* args, std::string* error) {
  std::string path;
  std::string subcommand;
  for (size_t arg_idx = 0; arg_idx < args->size(); ++arg_idx) {
    const std::string& arg = (*args)[arg_idx];
    if (arg == "--config" && arg_idx + 1 < args->size()) path = (*args)[arg_idx + 1];
    if (arg.rfind("--config=", 0) == 0) path = arg.substr(9);
    if (subcommand.empty() && !arg.empty() && arg[0] != '-') subcommand = arg;
  }
  if (path.empty()) {
    if (const char* env = std::getenv("CTRACE_CONFIG")) path = env;
  }
  if (path.empty()) return true;
  CLI::App* target = subcommand.empty() ? nullptr : app.get_subcommand_ptr(subcommand).get();
  if (target == nullptr) return true;

  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = "--config: cannot read " + path + ": " + std::string(e.description());
    return false;
  }
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (const auto& [key, node] : table) {
    if (node.is_table()) {
      if (std::string(key.str()) != subcommand) continue;
      for (const auto& [sub_key, sub_node] : *node.as_table()) entries.emplace_back(std::string(sub_key.str()), &sub_node);
      continue;
    }
    entries.emplace_back(std::string(key.str()), &node);
  }
  std::vector<std::string> added;
  for (auto& [key, node] : entries) {
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (flag == "--config") continue;
    auto* option = target->get_option_no_throw(flag);
    if (option == nullptr) {
      // A shared file may hold settings of other subcommands at the top level.
      const auto subcommands = app.get_subcommands({});
      const bool known_elsewhere = std::any_of(subcommands.begin(), subcommands.end(), [&](const CLI::App* sub) {
        return sub->get_option_no_throw(flag) != nullptr;
      });
      if (known_elsewhere) continue;
      *error = "--config: " + path + ": unknown setting '" + key + "'";
      return false;
    }
    const bool on_command_line = std::any_of(args->begin(), args->end(), [&](const std::string& arg) {
      return arg == flag || arg.rfind(flag + "=", 0) == 0;
    });
    if (on_command_line || std::getenv(EnvName(flag).c_str()) != nullptr) continue;
    std::string value;
    if (const auto* s = node->as_string()) {
      value = s->get();
    } else if (const auto* i = node->as_integer()) {
      value = std::to_string(i->get());
    } else if (const auto* b = node->as_boolean()) {
      value = b->get() ? "true" : "false";
    } else {
      *error = "--config: " + path + ": setting '" + key + "' must be a string, integer or boolean";
      return false;
    }
    added.push_back(flag + "=" + value);
  }
  args->insert(args->end(), added.begin(), added.end());
  return true;
}

}  // namespace ctrace
