#include "model/event.h"

#include <gtest/gtest.h>

namespace ctrace {
namespace {

TEST(EventNamesTest, TypeNamesAreTheContractSpellings) {
  EXPECT_EQ(EventTypeName(EventType::kCheckin), "checkin");
  EXPECT_EQ(EventTypeName(EventType::kCheckout), "checkout");
  EXPECT_EQ(EventTypeName(EventType::kTestResult), "test_result");
  EXPECT_EQ(EventTypeName(EventType::kDeclaration), "declaration");
  EXPECT_EQ(EventTypeName(static_cast<EventType>(99)), "unknown");
}

TEST(EventNamesTest, OutcomeAndKindNames) {
  EXPECT_EQ(TestOutcomeName(TestOutcome::kPositive), "positive");
  EXPECT_EQ(TestOutcomeName(TestOutcome::kNegative), "negative");
  EXPECT_EQ(TestKindName(TestKind::kPcr), "pcr");
  EXPECT_EQ(TestKindName(TestKind::kAntigen), "antigen");
  EXPECT_EQ(TestKindName(TestKind::kUnspecified), "");
}

TEST(EventNamesTest, OnDiskValuesAreStable) {
  EXPECT_EQ(static_cast<int>(EventType::kCheckin), 1);
  EXPECT_EQ(static_cast<int>(EventType::kCheckout), 2);
  EXPECT_EQ(static_cast<int>(EventType::kTestResult), 3);
  EXPECT_EQ(static_cast<int>(EventType::kDeclaration), 4);
  EXPECT_EQ(static_cast<int>(TestOutcome::kNegative), 0);
  EXPECT_EQ(static_cast<int>(TestOutcome::kPositive), 1);
  EXPECT_EQ(static_cast<int>(TestKind::kUnspecified), 0);
  EXPECT_EQ(static_cast<int>(TestKind::kPcr), 1);
  EXPECT_EQ(static_cast<int>(TestKind::kAntigen), 2);
}

}  // namespace
}  // namespace ctrace
