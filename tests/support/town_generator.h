// A deterministic random small town, as NDJSON event lines, for the randomized end-to-end
// tests: people with favourite venues and daily routines over a few days before `now`, planted
// gatherings where a case meets people who later test positive (so that F1, F2 and case links
// occur), and every awkward case of tracing.md §1–§2 and events.md:
//   check-ins with and without check-outs, double check-outs, check-outs that match no
//   check-in, check-ins cut short by the person's next check-in (also at the same instant),
//   check-outs beyond max_stay (and exactly at it), +07:00/-05:30 offsets, fractional seconds
//   (up to 9 digits, truncated to ms), positives (some people with two, some tied on
//   sampled_at), negatives, declarations with an onset inside and outside the lookback (and
//   after sampling), with and without resulted_at, events exactly at the retention and clock
//   skew limits, exact duplicate lines and bad lines of most reason codes.
//
// The same options always give the same lines (std::mt19937_64, no other randomness).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/rfc3339.h"

namespace ctrace::test_support {

struct TownOptions {
  uint64_t seed = 1;
  int people = 200;                      // Default: 200.
  int venues = 60;                       // Default: 60.
  int days = 6;                          // routines on the `days` days before now. Default: 6.
  Millis now = UtcMillis(2026, 11, 27);  // the service clock the town is made for.
  Millis retention = 30 * kMsDay;        // to place the edge-of-retention events.
  Millis max_clock_skew = 5 * kMsMinute; // to place the edge-of-skew events.
  Millis max_stay = 12 * kMsHour;        // to place check-outs around max_stay.
  double positive_share = 0.025;         // people with a routine positive test. Default: 2.5%.
  double negative_share = 0.10;          // people with a negative test. Default: 10%.
  int gatherings = 4;                    // planted case meetings. Default: 4.
  double duplicate_share = 0.02;         // good lines sent twice. Default: 2%.
  int bad_lines = 40;                    // at most this many rejected lines (one of each
                                         // kind the generator knows, ~32). Default: 40.
};

struct Town {
  std::vector<std::string> lines;    // NDJSON, no trailing newlines
  std::vector<std::string> people;   // every person id used
  std::vector<std::string> venues;   // every venue id used
};

Town GenerateTown(const TownOptions& options);

}  // namespace ctrace::test_support
