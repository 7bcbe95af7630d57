#include "tests/support/rfc3339.h"

#include <cstdio>

namespace ctrace::test_support {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{y + (m <= 2 ? 1 : 0), m, d};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at `pos`.
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

std::string TwoDigits(int v) {  // 0..99
  return std::string(1, static_cast<char>('0' + v / 10 % 10)) + static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<Millis> ParseRfc3339(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const Millis local = UtcMillis(year, month, day, hour, minute, second, millis);
  return local - offset_minutes * kMsMinute;
}

Millis UtcMillis(int year, int month, int day, int hour, int minute, int second, int millis) {
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * kMsDay + hour * kMsHour + minute * kMsMinute + second * kMsSecond + millis;
}

namespace {

// `min_digits` fractional digits at least, more when the milliseconds need them (so the text
// always means exactly `local`), then `extra_digits` when more than three are written.
std::string FormatLocal(Millis local, int min_digits, std::string_view extra_digits) {
  int64_t days = local / kMsDay;
  Millis in_day = local % kMsDay;
  if (in_day < 0) {
    in_day += kMsDay;
    --days;
  }
  const Civil c = CivilFromDays(days);
  const int ms = static_cast<int>(in_day % kMsSecond);
  const int secs = static_cast<int>(in_day / kMsSecond);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                static_cast<long long>(c.year), c.month, c.day, secs / 3600, secs / 60 % 60,
                secs % 60);
  std::string out = buf;
  int needed = ms == 0 ? 0 : (ms % 100 == 0 ? 1 : (ms % 10 == 0 ? 2 : 3));
  const int digits = min_digits > needed ? min_digits : needed;
  if (digits > 0) {
    std::string text = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10)};
    text += extra_digits;
    text.resize(static_cast<size_t>(digits), '0');
    out += "." + text;
  }
  return out;
}

}  // namespace

std::string FormatRfc3339(Millis t) {
  const bool has_ms = ((t % kMsSecond) + kMsSecond) % kMsSecond != 0;
  return FormatLocal(t, has_ms ? 3 : 0, "") + "Z";
}

std::string FormatWithOffset(Millis t, int offset_minutes, int fraction_digits,
                             std::string_view extra_digits) {
  std::string out = FormatLocal(t + offset_minutes * kMsMinute, fraction_digits, extra_digits);
  if (offset_minutes == 0) return out + "Z";
  const int abs = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return out + (offset_minutes < 0 ? "-" : "+") + TwoDigits(abs / 60) + ":" + TwoDigits(abs % 60);
}

}  // namespace ctrace::test_support
