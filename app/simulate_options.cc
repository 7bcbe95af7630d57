#include "app/simulate.h"

#include <string>
#include <utility>

namespace ctrace {
namespace {

bool IsRate(double x) { return x >= 0.0 && x <= 1.0; }  // false for NaN too

}  // namespace

std::string SimulateOptions::Validate() const {
  // The last representable RFC 3339 time of a 4-digit year: 9999-12-31T23:59:59.999Z.
  constexpr TimeMs kLatest = 253402300799999;
  if (people < 1) return "people must be at least 1 (got " + std::to_string(people) + ")";
  if (venues < 1) return "venues must be at least 1 (got " + std::to_string(venues) + ")";
  if (districts < 1 || districts > 99) {
    return "districts must be in 1..99 (got " + std::to_string(districts) + ")";
  }
  if (days < 1 || days > 3650) return "days must be in 1..3650 (got " + std::to_string(days) + ")";
  const DurationMs span = static_cast<int64_t>(days) * kDay;
  if (start) {
    if (*start < 0 || *start > kLatest + 1 - span) {
      return "start must be a time after 1970, with start + days before the year 10000";
    }
  } else {
    if (end <= 0 || end > kLatest) {
      return "end (or start) must be set to a time after 1970 and before the year 10000";
    }
    if (end - span < 0) return "end - days must not be before 1970";
  }
  const std::pair<const char*, double> rates[] = {
      {"checkout_rate", checkout_rate},
      {"late_checkout_rate", late_checkout_rate},
      {"double_checkout_rate", double_checkout_rate},
      {"offset_rate", offset_rate},
      {"source_rate", source_rate},
      {"worker_rate", worker_rate},
      {"lunch_out_rate", lunch_out_rate},
      {"home_district_rate", home_district_rate},
      {"transmission_rate", transmission_rate},
      {"detection_rate", detection_rate},
      {"retest_rate", retest_rate},
      {"declaration_rate", declaration_rate},
      {"test_rate", test_rate},
      {"healthy_declaration_rate", healthy_declaration_rate},
  };
  for (const auto& [name, value] : rates) {
    if (!IsRate(value)) {
      return std::string(name) + " must be in 0..1 (got " + std::to_string(value) + ")";
    }
  }
  if (!(errands_per_day >= 0.0 && errands_per_day <= 20.0)) {
    return "errands_per_day must be in 0..20 (got " + std::to_string(errands_per_day) + ")";
  }
  if (!(zipf_exponent >= 0.0 && zipf_exponent <= 10.0)) {
    return "zipf_exponent must be in 0..10 (got " + std::to_string(zipf_exponent) + ")";
  }
  if (!(crowd_size > 0.0)) return "crowd_size must be positive";
  if (outbreak_seeds < 0 || outbreak_seeds > people) {
    return "outbreak_seeds must be in 0..people (got " + std::to_string(outbreak_seeds) + ")";
  }
  if (outbreak_venues < 0 || outbreak_venues > venues) {
    return "outbreak_venues must be in 0..venues (got " + std::to_string(outbreak_venues) + ")";
  }
  if (outbreak_venues > outbreak_seeds) {
    return "outbreak_venues must not exceed outbreak_seeds (got " + std::to_string(outbreak_venues) +
           " venues for " + std::to_string(outbreak_seeds) + " seeds)";
  }
  if (transmission_overlap < 0) return "transmission_overlap must not be negative";
  if (latent_period < 0 || latent_period > 365 * kDay) {
    return "latent_period must be in 0..365 days";
  }
  if (infectious_period < 0 || infectious_period > 365 * kDay) {
    return "infectious_period must be in 0..365 days";
  }
  if (isolation_period < 0 || isolation_period > 3650 * kDay) {
    return "isolation_period must be in 0..3650 days";
  }
  return "";
}

TimeMs SimulateOptions::SpanStart() const {
  return start ? *start : end - static_cast<int64_t>(days) * kDay;
}

TimeMs SimulateOptions::SpanEnd() const { return start ? *start + static_cast<int64_t>(days) * kDay : end; }

}  // namespace ctrace
