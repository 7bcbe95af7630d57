#include "model/time.h"

#include <array>
#include <cstdio>

namespace ctrace {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
// Valid for any year that fits; month 1..12, day 1..31.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;                              // [0, 399]
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil (Hinnant's civil_from_days).
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;  // [0, 11], March-based month
  const int day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` digits at text[*pos]; advances *pos on success.
bool ReadFixedDigits(std::string_view text, size_t* pos, size_t width, int* value) {
  if (*pos + width > text.size()) return false;
  int result = 0;
  for (size_t digit_idx = 0; digit_idx < width; ++digit_idx) {
    const char c = text[*pos + digit_idx];
    if (!IsDigit(c)) return false;
    result = result * 10 + (c - '0');
  }
  *pos += width;
  *value = result;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

// Beyond the header's rules, a time whose UTC value falls before the epoch (e.g.
// "1970-01-01T00:00:00+01:00") is rejected too, so every parsed time is >= 0.
std::optional<TimeMs> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixedDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  if (!ReadFixedDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &second)) {
    return std::nullopt;
  }

  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t fraction_start = pos;
    int scale = 100;
    while (pos < text.size() && IsDigit(text[pos])) {
      millis += (text[pos] - '0') * scale;  // digits past the third add 0: truncation
      scale /= 10;
      ++pos;
    }
    if (pos == fraction_start) return std::nullopt;
  }

  if (pos >= text.size()) return std::nullopt;  // the zone is required
  int offset_minutes = 0;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    int offset_hour = 0, offset_minute = 0;
    if (!ReadFixedDigits(text, &pos, 2, &offset_hour) || !Expect(text, &pos, ':') ||
        !ReadFixedDigits(text, &pos, 2, &offset_minute)) {
      return std::nullopt;
    }
    if (offset_hour > 23 || offset_minute > 59) return std::nullopt;
    offset_minutes = (offset_hour * 60 + offset_minute) * (zone == '-' ? -1 : 1);
  } else if (zone != 'Z' && zone != 'z') {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  if (year < 1970 || year > 9999) return std::nullopt;
  if (month < 1 || month > 12) return std::nullopt;
  if (day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;  // no leap seconds

  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t local_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  const TimeMs utc = (local_seconds - int64_t{offset_minutes} * 60) * kSecond + millis;
  if (utc < 0) return std::nullopt;
  return utc;
}

std::string FormatUtc(TimeMs t) {
  // Floor division, so times before the epoch format correctly (and kTimeMin does not overflow).
  int64_t days = t / kDay;
  int64_t ms_of_day = t % kDay;
  if (ms_of_day < 0) {
    ms_of_day += kDay;
    days -= 1;
  }
  const CivilDate date = CivilFromDays(days);
  const int hour = static_cast<int>(ms_of_day / kHour);
  const int minute = static_cast<int>(ms_of_day % kHour / kMinute);
  const int second = static_cast<int>(ms_of_day % kMinute / kSecond);
  const int millis = static_cast<int>(ms_of_day % kSecond);

  std::array<char, 64> buffer{};
  int length = 0;
  if (millis != 0) {
    length = std::snprintf(buffer.data(), buffer.size(), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                           static_cast<long long>(date.year), date.month, date.day, hour, minute,
                           second, millis);
  } else {
    length = std::snprintf(buffer.data(), buffer.size(), "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                           static_cast<long long>(date.year), date.month, date.day, hour, minute,
                           second);
  }
  return std::string(buffer.data(), static_cast<size_t>(length));
}

namespace {

struct DurationUnit {
  std::string_view suffix;
  DurationMs ms;
};

// Largest first, so FormatDuration finds the shortest spelling.
constexpr std::array<DurationUnit, 5> kDurationUnits = {{
    {"d", kDay},
    {"h", kHour},
    {"m", kMinute},
    {"s", kSecond},
    {"ms", 1},
}};

}  // namespace

// Accepts an optional leading '-' so that FormatDuration's output always parses back and a
// negative flag value reaches TracingParams::Validate, which names the flag in its message.
std::optional<DurationMs> ParseDuration(std::string_view text) {
  size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++pos;
  const size_t digits_start = pos;
  // The magnitude of INT64_MIN is 2^63, one past INT64_MAX.
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{kTimeMax};
  uint64_t magnitude = 0;
  while (pos < text.size() && IsDigit(text[pos])) {
    const uint64_t digit = static_cast<uint64_t>(text[pos] - '0');
    if (magnitude > (limit - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
    ++pos;
  }
  if (pos == digits_start) return std::nullopt;

  const std::string_view suffix = text.substr(pos);
  for (const DurationUnit& unit : kDurationUnits) {
    if (suffix != unit.suffix) continue;
    const int64_t value =
        negative ? (magnitude == (uint64_t{1} << 63) ? kTimeMin : -static_cast<int64_t>(magnitude))
                 : static_cast<int64_t>(magnitude);
    int64_t result = 0;
    if (__builtin_mul_overflow(value, unit.ms, &result)) return std::nullopt;
    return result;
  }
  return std::nullopt;
}

std::string FormatDuration(DurationMs d) {
  if (d == 0) return "0s";
  for (const DurationUnit& unit : kDurationUnits) {
    if (d % unit.ms == 0) return std::to_string(d / unit.ms) + std::string(unit.suffix);
  }
  return std::to_string(d) + "ms";  // unreachable: every d is a whole number of ms
}

}  // namespace ctrace
