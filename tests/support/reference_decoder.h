// The reference model's reading of one NDJSON line (events.md): either a decoded event or the
// reason code it is rejected with. Written from the text of events.md, independent of ingest/.
//
// Checks run in this order, and the first failing one gives the reason:
//   too_large (line over 16 KiB) → malformed_json (not a JSON object / not valid JSON or UTF-8)
//   → unknown_type → common fields (id, person, source) → the type's fields in the order of
//   events.md's table → too_old / in_future (the event time) → inconsistent.
// A missing required field is missing_field:NAME; a present one with the wrong JSON type,
// length, characters or enum value is bad_field:NAME, except timestamps, where anything that
// is not a string with a valid RFC 3339 time is bad_time:NAME (examples/05 line 14: a number).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/rfc3339.h"

namespace ctrace::test_support {

// tracing.md's parameters and events.md's limits; every field can be overridden.
struct ReferenceParams {
  Millis retention = 30 * kMsDay;            // Default: 30 days.
  Millis min_overlap = 15 * kMsMinute;       // Default: 15 minutes.
  Millis default_stay = 60 * kMsMinute;      // Default: 60 minutes.
  Millis max_stay = 12 * kMsHour;            // Default: 12 hours.
  Millis infectious_lead = 48 * kMsHour;     // Default: 48 hours.
  Millis isolation_lag = 24 * kMsHour;       // Default: 24 hours.
  Millis onset_lookback = 14 * kMsDay;       // Default: 14 days.
  Millis onward_window = 14 * kMsDay;        // Default: 14 days.
  int max_depth = 2;                         // Default: 2 (at most 5).
  Millis max_clock_skew = 5 * kMsMinute;     // Default: 5 minutes (events.md in_future).
  size_t max_event_bytes = 16 * 1024;        // Default: 16 KiB (events.md too_large).
};

enum class RefEventType { kCheckin, kCheckout, kTestResult, kDeclaration };

struct RefEvent {
  RefEventType type = RefEventType::kCheckin;
  std::string id;
  std::string person;
  std::string venue;                  // check-ins and check-outs
  Millis ts = 0;                      // check-ins, check-outs, declarations
  Millis sampled_at = 0;              // test results
  std::optional<Millis> resulted_at;  // test results
  bool positive = false;              // test results
  std::optional<Millis> onset;        // declarations

  // events.md "The event's time": ts, or sampled_at for test results.
  Millis EventTime() const { return type == RefEventType::kTestResult ? sampled_at : ts; }
};

struct RefJudgement {
  std::optional<RefEvent> event;  // set when the line is a valid event
  std::string reason;             // the reason code when it is not
  std::string id;                 // the id when it could be read (a string), even if rejected
};

// Judges one line against the rules of events.md at time `now`. Duplicates are not judged
// here (they depend on what was accepted before; see ReferenceModel).
RefJudgement JudgeLine(std::string_view line, const ReferenceParams& params, Millis now);

}  // namespace ctrace::test_support
