#include "model/params.h"

#include <array>
#include <string_view>

namespace ctrace {
namespace {

// Durations longer than this are refused so that `now ± duration` sums cannot overflow TimeMs
// anywhere downstream (10 years is far beyond any sensible tracing parameter).
constexpr DurationMs kMaxDuration = 3650 * kDay;

// Personal data may be kept at most 30 days (events.md, operations.md: every Kafka topic keeps
// at most 30 days), so the retention cannot be raised above that.
constexpr DurationMs kMaxRetention = 30 * kDay;

}  // namespace

std::string TracingParams::Validate() const {
  struct NamedDuration {
    std::string_view flag;
    DurationMs value;
  };
  const std::array<NamedDuration, 10> durations = {{
      {"--retention", retention},
      {"--min-overlap", min_overlap},
      {"--default-stay", default_stay},
      {"--max-stay", max_stay},
      {"--infectious-lead", infectious_lead},
      {"--isolation-lag", isolation_lag},
      {"--onset-lookback", onset_lookback},
      {"--onward-window", onward_window},
      {"--hotspot-window", hotspot_window},
      {"--max-clock-skew", max_clock_skew},
  }};
  for (const NamedDuration& duration : durations) {
    if (duration.value <= 0) {
      return std::string(duration.flag) + " must be greater than 0 (got " +
             FormatDuration(duration.value) + ")";
    }
    if (duration.value > kMaxDuration) {
      return std::string(duration.flag) + " must be at most " + FormatDuration(kMaxDuration) +
             " (got " + FormatDuration(duration.value) + ")";
    }
  }
  if (retention > kMaxRetention) {
    return "--retention must be at most " + FormatDuration(kMaxRetention) + " (got " +
           FormatDuration(retention) + ")";
  }
  if (max_depth < 1 || max_depth > kMaxDepthLimit) {
    return "--max-depth must be between 1 and " + std::to_string(kMaxDepthLimit) + " (got " +
           std::to_string(max_depth) + ")";
  }
  if (hotspot_cases < 1) {
    return "--hotspot-cases must be at least 1 (got " + std::to_string(hotspot_cases) + ")";
  }
  return "";
}

}  // namespace ctrace
