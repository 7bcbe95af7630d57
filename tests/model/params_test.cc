#include "model/params.h"

#include <gtest/gtest.h>

#include <string>

namespace ctrace {
namespace {

::testing::AssertionResult FailsNaming(const TracingParams& params, const std::string& prefix) {
  const std::string message = params.Validate();
  if (message.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure() << "message \"" << message << "\" does not start with \""
                                         << prefix << "\"";
  }
  if (message.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "message is not one line: " << message;
  }
  return ::testing::AssertionSuccess();
}

TEST(TracingParamsTest, DefaultsAreTheContractsAndValid) {
  const TracingParams params;
  EXPECT_EQ(params.Validate(), "");
  EXPECT_EQ(params.retention, 30 * kDay);
  EXPECT_EQ(params.min_overlap, 15 * kMinute);
  EXPECT_EQ(params.default_stay, 60 * kMinute);
  EXPECT_EQ(params.max_stay, 12 * kHour);
  EXPECT_EQ(params.infectious_lead, 48 * kHour);
  EXPECT_EQ(params.isolation_lag, 24 * kHour);
  EXPECT_EQ(params.onset_lookback, 14 * kDay);
  EXPECT_EQ(params.onward_window, 14 * kDay);
  EXPECT_EQ(params.max_depth, 2);
  EXPECT_EQ(params.hotspot_cases, 3);
  EXPECT_EQ(params.hotspot_window, 7 * kDay);
  EXPECT_EQ(params.max_clock_skew, 5 * kMinute);
}

TEST(TracingParamsTest, EveryDurationMustBePositive) {
  struct Case {
    DurationMs TracingParams::*field;
    const char* flag;
  };
  const Case cases[] = {
      {&TracingParams::retention, "--retention"},
      {&TracingParams::min_overlap, "--min-overlap"},
      {&TracingParams::default_stay, "--default-stay"},
      {&TracingParams::max_stay, "--max-stay"},
      {&TracingParams::infectious_lead, "--infectious-lead"},
      {&TracingParams::isolation_lag, "--isolation-lag"},
      {&TracingParams::onset_lookback, "--onset-lookback"},
      {&TracingParams::onward_window, "--onward-window"},
      {&TracingParams::hotspot_window, "--hotspot-window"},
      {&TracingParams::max_clock_skew, "--max-clock-skew"},
  };
  for (const Case& test_case : cases) {
    for (DurationMs bad : {DurationMs{0}, DurationMs{-1}, -kDay, kTimeMin}) {
      TracingParams params;
      params.*test_case.field = bad;
      EXPECT_TRUE(FailsNaming(params, std::string(test_case.flag) + " must be greater than 0"))
          << bad;
    }
    TracingParams params;
    params.*test_case.field = 1;
    EXPECT_EQ(params.Validate(), "") << test_case.flag;
    params.*test_case.field = kTimeMax;
    EXPECT_TRUE(FailsNaming(params, test_case.flag));
  }
}

TEST(TracingParamsTest, RetentionIsAtMostThirtyDays) {
  TracingParams params;
  params.retention = 30 * kDay;
  EXPECT_EQ(params.Validate(), "");
  params.retention = 30 * kDay + 1;
  EXPECT_TRUE(FailsNaming(params, "--retention must be at most 30d"));
}

TEST(TracingParamsTest, MaxDepthIsOneToFive) {
  for (int depth : {1, 2, 3, 4, 5}) {
    TracingParams params;
    params.max_depth = depth;
    EXPECT_EQ(params.Validate(), "") << depth;
  }
  for (int depth : {0, -1, 6, 100}) {
    TracingParams params;
    params.max_depth = depth;
    EXPECT_TRUE(FailsNaming(params, "--max-depth must be between 1 and 5")) << depth;
  }
}

TEST(TracingParamsTest, HotspotCasesIsAtLeastOne) {
  TracingParams params;
  params.hotspot_cases = 1;
  EXPECT_EQ(params.Validate(), "");
  params.hotspot_cases = 0;
  EXPECT_TRUE(FailsNaming(params, "--hotspot-cases must be at least 1"));
  params.hotspot_cases = -3;
  EXPECT_TRUE(FailsNaming(params, "--hotspot-cases must be at least 1"));
}

TEST(TracingParamsTest, ReportsTheFirstProblem) {
  TracingParams params;
  params.min_overlap = 0;
  params.max_depth = 9;
  EXPECT_TRUE(FailsNaming(params, "--min-overlap"));
}

}  // namespace
}  // namespace ctrace
