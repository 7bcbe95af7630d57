// The tracing parameters of the contract, with their defaults.
#pragma once

#include <string>

#include "model/time.h"

namespace ctrace {

inline constexpr int kMaxDepthLimit = 5;

struct TracingParams {
  // How long an event stays live after its event time. Default: 30 days.
  DurationMs retention = 30 * kDay;
  // The shortest clipped overlap of two visits that counts as a contact. Default: 15 minutes.
  DurationMs min_overlap = 15 * kMinute;
  // The length of a visit with no matching check-out (unless the next check-in cuts it).
  // Default: 60 minutes.
  DurationMs default_stay = 60 * kMinute;
  // The latest a check-out may come after its check-in and still match it. Default: 12 hours.
  DurationMs max_stay = 12 * kHour;
  // How long before sampling (or onset) a case is infectious. Default: 48 hours.
  DurationMs infectious_lead = 48 * kHour;
  // Window end after sampling when the result time is unknown. Default: 24 hours.
  DurationMs isolation_lag = 24 * kHour;
  // How far before sampling a declared onset still counts. Default: 14 days.
  DurationMs onset_lookback = 14 * kDay;
  // How long after exposure an exposed person passes exposure on. Default: 14 days.
  DurationMs onward_window = 14 * kDay;
  // The deepest level computed (F1..F<max_depth>), 1..5. Default: 2.
  int max_depth = 2;
  // Distinct cases that make a venue a hotspot. Default: 3.
  int hotspot_cases = 3;
  // How recent a case visit must start to count toward a hotspot. Default: 7 days.
  DurationMs hotspot_window = 7 * kDay;
  // How far ahead of `now` an event time may be. Default: 5 minutes.
  DurationMs max_clock_skew = 5 * kMinute;

  // Empty when the parameters are usable, else a one-line description of the first problem.
  std::string Validate() const;
};

}  // namespace ctrace
