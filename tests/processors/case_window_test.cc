// tracing.md §2, rule by rule, with the boundaries.
#include "processors/case_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/processors/test_events.h"

namespace ctrace {
namespace {

using namespace testing_events;  // NOLINT

class CaseWindowTest : public ::testing::Test {
 protected:
  std::optional<CaseInfo> Compute(std::vector<Event> events) {
    const auto info = ComputeCase(events, params_);
    std::mt19937 rng(static_cast<unsigned>(events.size()));
    for (int round = 0; round < 5; ++round) {
      std::shuffle(events.begin(), events.end(), rng);
      EXPECT_EQ(ComputeCase(events, params_), info) << "depends on input order";
    }
    return info;
  }

  TracingParams params_;
  const TimeMs s_ = T("2026-11-21T10:00:00Z");
};

TEST_F(CaseWindowTest, NoPositiveNoCase) {
  EXPECT_FALSE(Compute({}));
  EXPECT_FALSE(Compute({TestResult("t1", "P", s_, false, s_ + kHour), Declaration("d", "P", s_, s_ - kDay),
                        Checkin("c", "P", "V", s_)}));
}

TEST_F(CaseWindowTest, WindowEndsAtResultedAtWhenPresent) {
  const auto info = Compute({Positive("t1", "P", s_, T("2026-11-22T10:00:00Z"))});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sampled_at, s_);
  EXPECT_EQ(info->resulted_at, T("2026-11-22T10:00:00Z"));
  EXPECT_FALSE(info->onset);
  EXPECT_EQ(info->window, (Window{T("2026-11-19T10:00:00Z"), T("2026-11-22T10:00:00Z")}));
}

TEST_F(CaseWindowTest, WindowEndsAtIsolationLagWithoutResultedAt) {
  const auto info = Compute({Positive("t1", "P", s_)});
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->resulted_at);
  EXPECT_EQ(info->window, (Window{s_ - 48 * kHour, s_ + 24 * kHour}));
}

TEST_F(CaseWindowTest, ResultedAtEqualToSampledAtGivesThatEnd) {
  const auto info = Compute({Positive("t1", "P", s_, s_)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->window, (Window{s_ - 48 * kHour, s_})) << "resulted_at wins even when it is early";
}

TEST_F(CaseWindowTest, OnsetExactlyAtLookbackCounts) {
  const TimeMs onset = s_ - 14 * kDay;
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_, onset)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->onset, onset);
  EXPECT_EQ(info->window.start, onset - 48 * kHour);
  EXPECT_EQ(info->window.end, s_ + 24 * kHour);
}

TEST_F(CaseWindowTest, OnsetOneMsBeforeLookbackDoesNotCount) {
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_, s_ - 14 * kDay - 1)});
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->onset);
  EXPECT_EQ(info->window.start, s_ - 48 * kHour);
}

TEST_F(CaseWindowTest, OnsetExactlyAtSamplingCountsButDoesNotMoveTheStart) {
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_, s_)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->onset, s_);
  EXPECT_EQ(info->window.start, s_ - 48 * kHour);
}

TEST_F(CaseWindowTest, OnsetAfterSamplingIsIgnored) {
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_ + kDay, s_ + 1)});
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->onset);
  EXPECT_EQ(info->window.start, s_ - 48 * kHour);
}

TEST_F(CaseWindowTest, EarliestQualifyingOnsetWins) {
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_, s_ - 2 * kDay),
                             Declaration("d2", "P", s_, s_ - 5 * kDay), Declaration("d3", "P", s_, std::nullopt),
                             Declaration("d4", "P", s_, s_ - 15 * kDay)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->onset, s_ - 5 * kDay);
  EXPECT_EQ(info->window.start, s_ - 5 * kDay - 48 * kHour);
}

TEST_F(CaseWindowTest, EarliestPositiveBySampledAtIsTheIndexTest) {
  const auto info = Compute({Positive("t2", "P", s_ + 4 * kDay, s_ + 5 * kDay), Positive("t1", "P", s_),
                             TestResult("t0", "P", s_ - kDay, false, s_)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sampled_at, s_);
  EXPECT_FALSE(info->resulted_at) << "the index test's resulted_at, not another test's";
  EXPECT_EQ(info->window, (Window{s_ - 48 * kHour, s_ + 24 * kHour}));
}

TEST_F(CaseWindowTest, EqualSampledAtTieBrokenById) {
  const auto info = Compute({Positive("t2", "P", s_, s_ + 2 * kHour), Positive("t1", "P", s_, s_ + 5 * kHour)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->resulted_at, s_ + 5 * kHour);
  const auto swapped = Compute({Positive("t1", "P", s_, s_ + 2 * kHour), Positive("t10", "P", s_, s_ + 5 * kHour)});
  ASSERT_TRUE(swapped);
  EXPECT_EQ(swapped->resulted_at, s_ + 2 * kHour) << "byte order: \"t1\" < \"t10\"";
}

TEST_F(CaseWindowTest, OnsetIsJudgedAgainstTheIndexTestOnly) {
  // In range of the later test, out of range of the index test.
  const auto late_only = Compute({Positive("t1", "P", s_), Positive("t2", "P", s_ + 10 * kDay),
                                  Declaration("d1", "P", s_ + 10 * kDay, s_ + 2 * kDay)});
  ASSERT_TRUE(late_only);
  EXPECT_FALSE(late_only->onset);
  EXPECT_EQ(late_only->window.start, s_ - 48 * kHour);
  // Out of range of the later test's lookback but inside the index test's.
  const auto index_only = Compute({Positive("t1", "P", s_), Positive("t2", "P", s_ + 10 * kDay),
                                   Declaration("d1", "P", s_, s_ - 13 * kDay)});
  ASSERT_TRUE(index_only);
  EXPECT_EQ(index_only->onset, s_ - 13 * kDay);
}

TEST_F(CaseWindowTest, ParametersAreHonoured) {
  params_.infectious_lead = 10 * kHour;
  params_.isolation_lag = 3 * kHour;
  params_.onset_lookback = kDay;
  const auto info = Compute({Positive("t1", "P", s_), Declaration("d1", "P", s_, s_ - kDay),
                             Declaration("d2", "P", s_, s_ - kDay - 1)});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->onset, s_ - kDay);
  EXPECT_EQ(info->window, (Window{s_ - kDay - 10 * kHour, s_ + 3 * kHour}));
}

}  // namespace
}  // namespace ctrace
