#include "processors/case_window.h"

#include <algorithm>

namespace ctrace {

std::optional<CaseInfo> ComputeCase(const std::vector<Event>& events, const TracingParams& params) {
  const Event* index_test = nullptr;
  for (const auto& event : events) {
    if (event.type != EventType::kTestResult || event.result != TestOutcome::kPositive) continue;
    if (index_test == nullptr || event.time < index_test->time ||
        (event.time == index_test->time && event.id < index_test->id)) {
      index_test = &event;
    }
  }
  if (index_test == nullptr) return std::nullopt;

  CaseInfo info;
  info.sampled_at = index_test->time;
  info.resulted_at = index_test->resulted_at;
  const TimeMs sampled = info.sampled_at;
  for (const auto& event : events) {
    if (event.type != EventType::kDeclaration || !event.onset) continue;
    const TimeMs onset = *event.onset;
    if (onset < sampled - params.onset_lookback || onset > sampled) continue;
    if (!info.onset || onset < *info.onset) info.onset = onset;
  }
  info.window.start = std::min(sampled, info.onset.value_or(sampled)) - params.infectious_lead;
  info.window.end = info.resulted_at ? *info.resulted_at : sampled + params.isolation_lag;
  return info;
}

}  // namespace ctrace
