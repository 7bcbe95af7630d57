// Times and durations of the domain: milliseconds since the Unix epoch, UTC.
//
// Every time the service handles is a TimeMs. Parsing accepts RFC 3339 with seconds and an
// explicit zone (`Z` or `+hh:mm`/`-hh:mm`); fractional seconds are truncated to milliseconds.
// Formatting always gives UTC with `Z`, and `.mmm` only when the milliseconds are not zero.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace ctrace {

using TimeMs = int64_t;      // milliseconds since 1970-01-01T00:00:00Z
using DurationMs = int64_t;  // milliseconds

inline constexpr TimeMs kTimeMin = std::numeric_limits<TimeMs>::min();
inline constexpr TimeMs kTimeMax = std::numeric_limits<TimeMs>::max();

inline constexpr DurationMs kSecond = 1000;
inline constexpr DurationMs kMinute = 60 * kSecond;
inline constexpr DurationMs kHour = 60 * kMinute;
inline constexpr DurationMs kDay = 24 * kHour;

// Parses an RFC 3339 timestamp ("2026-11-20T08:15:00Z", "2026-11-20T15:15:00.5+07:00").
// Requires seconds and an explicit zone; the date must exist (no Feb 30) and the year must be
// in 1970..9999. Returns nullopt on anything else. Accepts 't'/'z' in lower case too.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// "2026-11-20T08:30:00Z", or "2026-11-20T08:30:00.250Z" when the milliseconds are not zero.
std::string FormatUtc(TimeMs t);

// Parses a duration flag value: an integer followed by a unit, "ms", "s", "m", "h" or "d"
// ("15m", "48h", "30d", "500ms"). Returns nullopt on anything else or on overflow.
std::optional<DurationMs> ParseDuration(std::string_view text);

// The shortest exact spelling of a duration in the units above ("15m", "30d", "90s").
std::string FormatDuration(DurationMs d);

}  // namespace ctrace
