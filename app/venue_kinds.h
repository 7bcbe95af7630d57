// The kinds of venue in the simulated town (`ctrace simulate`) and their opening hours.
//
// A simulated venue id names its kind: "V-D03-CAFE-12" is venue 12, a café in district 3. The
// town lives in Vietnam's local time (UTC+07:00, no daylight saving); opening hours and
// weekdays are local. A simulated stay lies within its venue's opening hours, so every check-in
// (and every on-time check-out) does; the awkward late and repeated check-outs of tracing.md
// may come after closing.
//
// Pure tables and arithmetic: no I/O, safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "model/time.h"

namespace ctrace {

// The simulated town's offset from UTC.
inline constexpr DurationMs kTownLocalOffset = 7 * kHour;

struct OpeningHours {
  DurationMs open = 0;        // after local midnight
  DurationMs close = kDay;    // after local midnight; open < close <= 24 h (never past midnight)
  uint8_t weekdays = 0x7f;    // bit d set: open on local weekday d (0 = Sunday)

  bool OpenOn(int weekday) const { return ((weekdays >> weekday) & 1) != 0; }
  // Whether the venue is open at `t` (UTC): on an open weekday, in [open, close) local time.
  bool IsOpenAt(TimeMs t) const;
};

struct VenueKind {
  std::string_view name;  // as it appears in venue ids: "CAFE"
  double weight;          // how common the kind is among venues
  bool workplace;         // people work there
  bool food;              // people go there for lunch
  OpeningHours hours;
};

// Every kind, in a fixed order (the simulator's output depends on it).
std::span<const VenueKind> VenueKinds();

// The kind named in a simulated venue id ("V-D03-CAFE-12"), or nullptr when `venue_id` is not
// one the simulator makes.
const VenueKind* FindVenueKind(std::string_view venue_id);

// The local weekday of `t` (UTC) in the town, 0 = Sunday.
int TownWeekday(TimeMs t);
// The local midnight (as a UTC time) of the town's day that contains `t`.
TimeMs TownMidnight(TimeMs t);

}  // namespace ctrace
