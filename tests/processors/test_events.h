// Event builders for the processor tests: terse, explicit, no JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "model/event.h"
#include "model/time.h"

namespace ctrace::testing_events {

// An RFC 3339 time; fails the test on a typo.
inline TimeMs T(std::string_view rfc3339) {
  const std::optional<TimeMs> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t) << "bad time in test: " << rfc3339;
  return t.value_or(0);
}

inline Event Checkin(std::string id, std::string person, std::string venue, TimeMs ts) {
  Event event;
  event.type = EventType::kCheckin;
  event.id = std::move(id);
  event.person = std::move(person);
  event.venue = std::move(venue);
  event.time = ts;
  return event;
}

inline Event Checkout(std::string id, std::string person, std::string venue, TimeMs ts) {
  Event event = Checkin(std::move(id), std::move(person), std::move(venue), ts);
  event.type = EventType::kCheckout;
  return event;
}

inline Event TestResult(std::string id, std::string person, TimeMs sampled_at, bool positive,
                  std::optional<TimeMs> resulted_at = std::nullopt) {
  Event event;
  event.type = EventType::kTestResult;
  event.id = std::move(id);
  event.person = std::move(person);
  event.time = sampled_at;
  event.result = positive ? TestOutcome::kPositive : TestOutcome::kNegative;
  event.resulted_at = resulted_at;
  return event;
}

inline Event Positive(std::string id, std::string person, TimeMs sampled_at,
                      std::optional<TimeMs> resulted_at = std::nullopt) {
  return TestResult(std::move(id), std::move(person), sampled_at, true, resulted_at);
}

inline Event Declaration(std::string id, std::string person, TimeMs ts, std::optional<TimeMs> onset) {
  Event event;
  event.type = EventType::kDeclaration;
  event.id = std::move(id);
  event.person = std::move(person);
  event.time = ts;
  event.onset = onset;
  return event;
}

}  // namespace ctrace::testing_events
