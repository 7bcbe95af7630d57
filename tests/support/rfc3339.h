// The test support's own RFC 3339 times, written from events.md and api.md without looking at
// model/time.h, so that the reference model shares no code with the engine.
//
// Millis: milliseconds since 1970-01-01T00:00:00Z.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace ctrace::test_support {

using Millis = int64_t;

inline constexpr Millis kMsSecond = 1000;
inline constexpr Millis kMsMinute = 60 * kMsSecond;
inline constexpr Millis kMsHour = 60 * kMsMinute;
inline constexpr Millis kMsDay = 24 * kMsHour;
inline constexpr Millis kMsInfinity = std::numeric_limits<Millis>::max();

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" (events.md: seconds and an explicit
// zone are required; fractional seconds of any length are truncated to milliseconds). 'T' and
// 'Z' may be lower case (RFC 3339 §5.6). Rejects dates that do not exist, hours > 23,
// minutes/seconds > 59 (no leap seconds), offsets beyond ±23:59 and years before 1970.
std::optional<Millis> ParseRfc3339(std::string_view text);

// api.md: UTC with 'Z', ".mmm" only when the milliseconds are not zero.
std::string FormatRfc3339(Millis t);

// Builds a UTC time from its parts (no validation; for generators and tests).
Millis UtcMillis(int year, int month, int day, int hour = 0, int minute = 0, int second = 0,
                 int millis = 0);

// The local wall-clock spelling of `t` at `offset_minutes` east of UTC ("Z" when 0), e.g.
// "2026-11-20T15:15:00+07:00". At least `fraction_digits` (0..9) fractional digits are
// written, more when the milliseconds of `t` need them, so the text always parses back to
// exactly `t`; digits beyond the third come from `extra_digits` (then '0'), to test truncation.
std::string FormatWithOffset(Millis t, int offset_minutes, int fraction_digits = 0,
                             std::string_view extra_digits = "");

}  // namespace ctrace::test_support
