// tracing.md §1, rule by rule, with the boundaries.
#include "processors/visit_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/processors/test_events.h"

namespace ctrace {
namespace {

using namespace testing_events;  // NOLINT

class VisitBuilderTest : public ::testing::Test {
 protected:
  std::vector<VisitRecord> Build(std::vector<Event> events) {
    // The result must not depend on the order events are handed over in.
    const auto visits = BuildVisits("P", events, params_);
    std::mt19937 rng(static_cast<unsigned>(events.size()));
    for (int round = 0; round < 5; ++round) {
      std::shuffle(events.begin(), events.end(), rng);
      EXPECT_EQ(BuildVisits("P", events, params_), visits) << "depends on input order";
    }
    return visits;
  }

  static VisitRecord V(std::string venue, TimeMs start, TimeMs end, bool checked_out) {
    return VisitRecord{"P", std::move(venue), start, end, checked_out};
  }

  TracingParams params_;
};

TEST_F(VisitBuilderTest, NoCheckoutGivesDefaultStay) {
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", T("2026-11-20T08:00:00Z"))}),
            (std::vector<VisitRecord>{V("CAFE", T("2026-11-20T08:00:00Z"), T("2026-11-20T09:00:00Z"), false)}));
}

TEST_F(VisitBuilderTest, CheckoutEndsVisit) {
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", T("2026-11-20T08:00:00Z")),
                   Checkout("o1", "P", "CAFE", T("2026-11-20T08:10:00Z"))}),
            (std::vector<VisitRecord>{V("CAFE", T("2026-11-20T08:00:00Z"), T("2026-11-20T08:10:00Z"), true)}));
}

TEST_F(VisitBuilderTest, CheckoutExactlyAtMaxStayMatches) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a + 12 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 12 * kHour, true)}));
}

TEST_F(VisitBuilderTest, CheckoutOneMsAfterMaxStayDoesNotMatch) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a + 12 * kHour + 1)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
}

TEST_F(VisitBuilderTest, CheckoutBeyondMaxStayDoesNotHideAnEarlierOne) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a + 13 * kHour),
                   Checkout("o2", "P", "CAFE", a + 11 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 11 * kHour, true)}));
}

TEST_F(VisitBuilderTest, CheckoutAtCheckinTimeOrBeforeIsIgnored) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}))
      << "a < ts is strict";
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a - 10 * kMinute)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "CAFE", a + 1)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 1, true)}))
      << "1 ms after the check-in matches";
}

TEST_F(VisitBuilderTest, TwoCheckoutsEarliestWins) {
  const TimeMs a = T("2026-11-20T07:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "MARKET", a), Checkout("o2", "P", "MARKET", a + 100 * kMinute),
                   Checkout("o1", "P", "MARKET", a + 80 * kMinute)}),
            (std::vector<VisitRecord>{V("MARKET", a, a + 80 * kMinute, true)}));
}

TEST_F(VisitBuilderTest, CheckoutAtAnotherVenueDoesNotMatch) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o1", "P", "SHOP", a + 10 * kMinute)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
}

TEST_F(VisitBuilderTest, UnmatchedCheckoutFormsNoVisit) {
  EXPECT_TRUE(Build({Checkout("o1", "P", "CAFE", T("2026-11-20T08:00:00Z"))}).empty());
}

TEST_F(VisitBuilderTest, NextCheckinAtDifferentVenueCutsTheVisit) {
  const TimeMs a = T("2026-11-20T08:40:00Z");
  const TimeMs n = T("2026-11-20T08:50:00Z");
  EXPECT_EQ(Build({Checkin("v3", "P", "MARKET", a), Checkin("v4", "P", "SHOP", n)}),
            (std::vector<VisitRecord>{V("MARKET", a, n, false), V("SHOP", n, n + kHour, false)}));
}

TEST_F(VisitBuilderTest, CheckoutAfterTheNextCheckinDoesNotMatch) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  const TimeMs n = a + 20 * kMinute;
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "SHOP", n),
                   Checkout("o1", "P", "CAFE", n + 1)}),
            (std::vector<VisitRecord>{V("CAFE", a, n, false), V("SHOP", n, n + kHour, false)}));
}

TEST_F(VisitBuilderTest, CheckoutExactlyAtTheNextCheckinMatches) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  const TimeMs n = a + 20 * kMinute;
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "SHOP", n), Checkout("o1", "P", "CAFE", n)}),
            (std::vector<VisitRecord>{V("CAFE", a, n, true), V("SHOP", n, n + kHour, false)}));
}

TEST_F(VisitBuilderTest, NextCheckinAtTheSameVenueCutsToo) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "CAFE", a + 30 * kMinute),
                   Checkout("o1", "P", "CAFE", a + 45 * kMinute)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 30 * kMinute, false),
                                      V("CAFE", a + 30 * kMinute, a + 45 * kMinute, true)}));
}

TEST_F(VisitBuilderTest, NextCheckinLaterThanDefaultStayDoesNotExtend) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "SHOP", a + 3 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false), V("SHOP", a + 3 * kHour, a + 4 * kHour, false)}));
}

TEST_F(VisitBuilderTest, EqualTimesOrderByIdAndTheFirstIsZeroLength) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  // "a" sorts before "b": the SHOP check-in comes first, is cut at once (zero length, dropped),
  // and the CAFE check-in makes the visit.
  EXPECT_EQ(Build({Checkin("b", "P", "CAFE", a), Checkin("a", "P", "SHOP", a)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
  EXPECT_EQ(Build({Checkin("a", "P", "CAFE", a), Checkin("b", "P", "SHOP", a)}),
            (std::vector<VisitRecord>{V("SHOP", a, a + kHour, false)}));
  // Byte order of ids, not numeric: "c10" < "c9".
  EXPECT_EQ(Build({Checkin("c9", "P", "CAFE", a), Checkin("c10", "P", "SHOP", a)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
  // A check-out of the dropped check-in's venue cannot match it (a < ts <= n = a is empty),
  // and it does not match the surviving visit at another venue either.
  EXPECT_EQ(Build({Checkin("b", "P", "CAFE", a), Checkin("a", "P", "SHOP", a),
                   Checkout("o", "P", "SHOP", a + 10 * kMinute)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + kHour, false)}));
}

TEST_F(VisitBuilderTest, CheckoutsMatchTheirOwnCheckinOnly) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  // Two visits to CAFE on one day; each check-out falls in exactly one visit's range.
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "CAFE", a + 4 * kHour),
                   Checkout("o1", "P", "CAFE", a + 30 * kMinute), Checkout("o2", "P", "CAFE", a + 5 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 30 * kMinute, true),
                                      V("CAFE", a + 4 * kHour, a + 5 * kHour, true)}));
  // One check-out at or before the second check-in belongs to the first visit only.
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkin("c2", "P", "CAFE", a + 4 * kHour),
                   Checkout("o1", "P", "CAFE", a + 4 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 4 * kHour, true),
                                      V("CAFE", a + 4 * kHour, a + 5 * kHour, false)}));
}

TEST_F(VisitBuilderTest, OtherEventTypesAreIgnoredAndOutputIsOrderedByStart) {
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c2", "P", "B", a + 2 * kHour), Positive("t", "P", a), Declaration("d", "P", a, a),
                   Checkin("c1", "P", "A", a)}),
            (std::vector<VisitRecord>{V("A", a, a + kHour, false), V("B", a + 2 * kHour, a + 3 * kHour, false)}));
}

TEST_F(VisitBuilderTest, ParametersAreHonoured) {
  params_.default_stay = 30 * kMinute;
  params_.max_stay = 2 * kHour;
  const TimeMs a = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a)}), (std::vector<VisitRecord>{V("CAFE", a, a + 30 * kMinute, false)}));
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o", "P", "CAFE", a + 2 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 2 * kHour, true)}));
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o", "P", "CAFE", a + 2 * kHour + 1)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 30 * kMinute, false)}));
  EXPECT_EQ(LongestVisit(params_), 2 * kHour);
  params_.default_stay = 3 * kHour;
  EXPECT_EQ(LongestVisit(params_), 3 * kHour) << "a default stay longer than max_stay bounds visits";
}

TEST_F(VisitBuilderTest, NegativeTimesWork) {
  const TimeMs a = -5 * kHour;
  EXPECT_EQ(Build({Checkin("c1", "P", "CAFE", a), Checkout("o", "P", "CAFE", a + 2 * kHour)}),
            (std::vector<VisitRecord>{V("CAFE", a, a + 2 * kHour, true)}));
}

}  // namespace
}  // namespace ctrace
