#include "model/time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

namespace ctrace {
namespace {

// 2026-11-20T08:15:00Z, computed independently (date -u -d ... +%s).
constexpr TimeMs kNov20 = 1795162500 * kSecond;
// 9999-12-31T23:59:59.999Z.
constexpr TimeMs kLastParsable = 253402300799 * kSecond + 999;

TEST(ParseRfc3339Test, ParsesUtc) {
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00Z"), kNov20);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-11-20t08:15:00z"), kNov20);
}

TEST(ParseRfc3339Test, ConvertsOffsetsToUtc) {
  EXPECT_EQ(ParseRfc3339("2026-11-20T15:15:00+07:00"), kNov20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T03:15:00-05:00"), kNov20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T13:45:00+05:30"), kNov20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00+00:00"), kNov20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00-00:00"), kNov20);
  // Crossing a day, a month and a year boundary.
  EXPECT_EQ(ParseRfc3339("2027-01-01T06:00:00+07:00"), ParseRfc3339("2026-12-31T23:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-02-28T23:00:00-02:00"), ParseRfc3339("2026-03-01T01:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00+23:59"), kNov20 - 23 * kHour - 59 * kMinute);
}

TEST(ParseRfc3339Test, TruncatesFractionalSecondsToMilliseconds) {
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.5Z"), kNov20 + 500);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.25Z"), kNov20 + 250);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.123Z"), kNov20 + 123);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.1239Z"), kNov20 + 123);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.999999999Z"), kNov20 + 999);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.00099999999999999999999Z"), kNov20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T15:15:00.750+07:00"), kNov20 + 750);
}

TEST(ParseRfc3339Test, ValidatesTheCalendar) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-04-31T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2026-12-31T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-00-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-00T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-32T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2026-01-01T23:59:59Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-01T24:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:60:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:00:60Z"));  // no leap seconds
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:00:00+24:00"));
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:00:00+01:60"));
}

TEST(ParseRfc3339Test, YearRange) {
  EXPECT_FALSE(ParseRfc3339("1969-12-31T23:59:59Z"));
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59.999Z"), kLastParsable);
  EXPECT_FALSE(ParseRfc3339("10000-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("0000-01-01T00:00:00Z"));
  // The UTC value must not fall before the epoch either.
  EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00+00:01"));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00-01:00"), kHour);
}

TEST(ParseRfc3339Test, RejectsOtherShapes) {
  for (const char* text : {
           "",
           "2026-11-20",
           "2026-11-20T08:15Z",          // no seconds
           "2026-11-20T08:15:00",        // no zone
           "2026-11-20 08:15:00Z",       // space separator
           "2026-11-20 08:00",           // example 05 line 3
           "2026-11-20T08:15:00.Z",      // no fraction digits
           "2026-11-20T08:15:00,5Z",     // comma fraction
           "2026-11-20T08:15:00+0700",   // offset without colon
           "2026-11-20T08:15:00+07",     // offset without minutes
           "2026-11-20T08:15:00+7:00",   // one-digit offset hour
           "2026-11-20T8:15:00Z",        // one-digit hour
           "2026-1-20T08:15:00Z",        // one-digit month
           "+2026-11-20T08:15:00Z",      // signed year
           " 2026-11-20T08:15:00Z",      // leading space
           "2026-11-20T08:15:00Z ",      // trailing space
           "2026-11-20T08:15:00ZZ",      // trailing text
           "2026-11-20T08:15:00UTC",     // named zone
           "2026-11-20T08:15:00.5",      // fraction, no zone
           "2026-11-20T08:15:00.5+",     // truncated offset
           "2026-11-20T08:15:00-05:0",   // truncated offset
           "2026-11-20T08:15:0aZ",       // letter in a number
           "1795162500",                 // epoch seconds
       }) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
}

TEST(FormatUtcTest, FormatsWithMillisecondsOnlyWhenNonZero) {
  EXPECT_EQ(FormatUtc(kNov20), "2026-11-20T08:15:00Z");
  EXPECT_EQ(FormatUtc(kNov20 + 250), "2026-11-20T08:15:00.250Z");
  EXPECT_EQ(FormatUtc(kNov20 + 1), "2026-11-20T08:15:00.001Z");
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(kLastParsable), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatUtc(*ParseRfc3339("2024-02-29T12:00:00+07:00")), "2024-02-29T05:00:00Z");
}

TEST(FormatUtcTest, HandlesTimesOutsideTheParsableRange) {
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatUtc(-kDay), "1969-12-31T00:00:00Z");
  // Must not crash or trip UBSan; the exact text of such extreme values is not part of the contract.
  EXPECT_FALSE(FormatUtc(kTimeMin).empty());
  EXPECT_FALSE(FormatUtc(kTimeMax).empty());
}

// Walks every day from 1970 to 9999 with a naive calendar and checks both directions on a full
// 400-year cycle at each end (the whole range takes ~10 s under sanitizers).
TEST(FormatUtcTest, AgreesWithANaiveCalendarOnEveryDay) {
  int year = 1970, month = 1, day = 1;
  const auto days_in_month = [](int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[m - 1];
  };
  int failures = 0;
  for (int64_t day_idx = 0; year <= 9999 && failures < 5; ++day_idx) {
    if (year < 2370 || year >= 9600) {
      char text[64];
      std::snprintf(text, sizeof text, "%04d-%02d-%02dT00:00:00Z", year, month, day);
      const TimeMs expected = day_idx * kDay;
      const std::optional<TimeMs> parsed = ParseRfc3339(text);
      if (parsed != expected || FormatUtc(expected) != text) {
        ADD_FAILURE() << text << " day " << day_idx;
        ++failures;
      }
    }
    if (++day > days_in_month(year, month)) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
}

TEST(FormatUtcTest, RoundTripsRandomTimes) {
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<TimeMs> dist(0, kLastParsable);
  for (int sample_idx = 0; sample_idx < 100000; ++sample_idx) {
    const TimeMs t = dist(rng);
    ASSERT_EQ(ParseRfc3339(FormatUtc(t)), t) << FormatUtc(t);
  }
}

TEST(ParseDurationTest, ParsesEveryUnit) {
  EXPECT_EQ(ParseDuration("500ms"), 500);
  EXPECT_EQ(ParseDuration("90s"), 90 * kSecond);
  EXPECT_EQ(ParseDuration("15m"), 15 * kMinute);
  EXPECT_EQ(ParseDuration("48h"), 48 * kHour);
  EXPECT_EQ(ParseDuration("30d"), 30 * kDay);
  EXPECT_EQ(ParseDuration("0s"), 0);
  EXPECT_EQ(ParseDuration("007m"), 7 * kMinute);
  EXPECT_EQ(ParseDuration("-5m"), -5 * kMinute);
}

TEST(ParseDurationTest, RejectsOtherShapes) {
  for (const char* text : {"", "m", "15", "15 m", " 15m", "15m ", "15M", "1.5h", "+5m", "15mm",
                           "15w", "15min", "-", "-m", "--5m", "15ms5"}) {
    EXPECT_FALSE(ParseDuration(text)) << text;
  }
}

TEST(ParseDurationTest, RejectsOverflow) {
  EXPECT_EQ(ParseDuration("9223372036854775807ms"), kTimeMax);
  EXPECT_FALSE(ParseDuration("9223372036854775808ms"));
  EXPECT_EQ(ParseDuration("-9223372036854775808ms"), kTimeMin);
  EXPECT_FALSE(ParseDuration("-9223372036854775809ms"));
  EXPECT_EQ(ParseDuration("106751991167d"), 106751991167 * kDay);
  EXPECT_FALSE(ParseDuration("106751991168d"));
  EXPECT_FALSE(ParseDuration("99999999999999999999999999s"));
}

TEST(FormatDurationTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(15 * kMinute), "15m");
  EXPECT_EQ(FormatDuration(30 * kDay), "30d");
  EXPECT_EQ(FormatDuration(90 * kSecond), "90s");
  EXPECT_EQ(FormatDuration(25 * kHour), "25h");
  EXPECT_EQ(FormatDuration(48 * kHour), "2d");
  EXPECT_EQ(FormatDuration(1500), "1500ms");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(-15 * kMinute), "-15m");
  EXPECT_EQ(FormatDuration(kTimeMin), "-9223372036854775808ms");
}

TEST(FormatDurationTest, RoundTripsThroughParseDuration) {
  std::mt19937_64 rng(7);
  for (int sample_idx = 0; sample_idx < 10000; ++sample_idx) {
    const DurationMs unit = std::array<DurationMs, 5>{1, kSecond, kMinute, kHour, kDay}[rng() % 5];
    const auto d = static_cast<DurationMs>(rng() % 1000000) * unit - 500000 * unit;
    ASSERT_EQ(ParseDuration(FormatDuration(d)), d) << FormatDuration(d);
  }
  EXPECT_EQ(ParseDuration(FormatDuration(kTimeMax)), kTimeMax);
  EXPECT_EQ(ParseDuration(FormatDuration(kTimeMin)), kTimeMin);
}

}  // namespace
}  // namespace ctrace
