// The audit comparison over two real state stores in temporary directories.
#include "processors/state_diff.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace ctrace {
namespace {

using test_support::TempDir;

constexpr TimeMs kBase = 1'795'737'600'000;  // 2026-11-27T00:00:00Z
constexpr TimeMs kHour = 3'600'000;

PersonState Exposed(int level, TimeMs exposed_at, std::vector<std::string> via) {
  PersonState state;
  state.level = level;
  state.exposed_at = exposed_at;
  state.via = std::move(via);
  return state;
}

PersonState Case(TimeMs sampled_at) {
  PersonState state;
  state.level = 0;
  state.case_info = CaseInfo{sampled_at, sampled_at + kHour, std::nullopt, {sampled_at - 48 * kHour, sampled_at + 24 * kHour}};
  return state;
}

// The small town both stores start from: cases c1, c2 (c1 -> c2 linked, one cluster), p1 at
// level 1 via c1, p2 at level 2 via p1.
void WriteTown(StateStore& store) {
  auto txn = store.Begin();
  txn->PutPerson("c1", {}, Case(kBase));
  txn->PutPerson("c2", {}, Case(kBase + kHour));
  txn->PutPerson("p1", {}, Exposed(1, kBase - 10 * kHour, {"c1"}));
  txn->PutPerson("p2", {}, Exposed(2, kBase - 5 * kHour, {"p1"}));
  txn->PutLink("c1", "c2", {"v1"});
  txn->PutCluster("c1", {"c1", "c2"});
  txn->PutClusterOf("c1", "c1");
  txn->PutClusterOf("c2", "c1");
  std::string error;
  ASSERT_TRUE(store.Commit(*txn, {{0, 10}}, &error)) << error;
}

class StateDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    expected_ = StateStore::Open(expected_dir_.Sub("state").string(), {}, &error);
    ASSERT_TRUE(expected_) << error;
    found_ = StateStore::Open(found_dir_.Sub("state").string(), {}, &error);
    ASSERT_TRUE(found_) << error;
    WriteTown(*expected_);
    WriteTown(*found_);
  }

  std::vector<StateDifference> Diff() {
    auto expected = expected_->Snapshot();
    auto found = found_->Snapshot();
    return DiffStates(*expected, *found, 2);
  }

  void Change(const std::function<void(StateTxn&)>& change) {
    auto txn = found_->Begin();
    change(*txn);
    std::string error;
    ASSERT_TRUE(found_->Commit(*txn, {{0, 10}}, &error)) << error;
  }

  TempDir expected_dir_, found_dir_;
  std::unique_ptr<StateStore> expected_, found_;
};

TEST_F(StateDiffTest, EqualStoresHaveNoDifference) {
  EXPECT_TRUE(Diff().empty());
  auto view = expected_->Snapshot();
  const DerivedState state = ReadDerivedState(*view, 2);
  EXPECT_EQ(state.exposures.size(), 2u);
  EXPECT_EQ(state.cases.size(), 2u);
  EXPECT_EQ(state.links.size(), 1u);
  EXPECT_EQ(state.clusters.size(), 1u);
}

TEST_F(StateDiffTest, ExposureDifferencesAreNamedOnePerFact) {
  Change([](StateTxn& txn) {
    txn.PutPerson("p1", Exposed(1, kBase - 10 * kHour, {"c1"}), Exposed(1, kBase - 9 * kHour, {"c1", "c2"}));
    txn.PutPerson("p2", Exposed(2, kBase - 5 * kHour, {"p1"}), Exposed(1, kBase - 5 * kHour, {"c2"}));
    txn.PutPerson("p3", {}, Exposed(2, kBase, {"p1"}));
  });
  const std::vector<StateDifference> want = {
      {"level", "p2", "2", "1"},
      {"exposed_at", "p1", "2026-11-26T14:00:00Z", "2026-11-26T15:00:00Z"},
      {"via", "p1", "c1", "c1,c2"},
      {"level", "p3", std::nullopt, "2"},
  };
  auto got = Diff();
  // Ordered by key within exposures.
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], want[1]);
  EXPECT_EQ(got[1], want[2]);
  EXPECT_EQ(got[2], want[0]);
  EXPECT_EQ(got[3], want[3]);
}

TEST_F(StateDiffTest, CaseLinkAndClusterDifferences) {
  Change([](StateTxn& txn) {
    PersonState changed = Case(kBase);
    changed.case_info->window.end += kHour;
    changed.case_info->onset = kBase - 24 * kHour;
    txn.PutPerson("c1", Case(kBase), changed);
    txn.PutPerson("c2", Case(kBase + kHour), {});
    txn.DeleteLink("c1", "c2");
    txn.PutLink("c2", "c1", {"v1"});
    txn.PutCluster("c1", {"c1", "c2", "c3"});
  });
  const auto got = Diff();
  const std::vector<StateDifference> want = {
      {"case.onset", "c1", "null", "2026-11-26T00:00:00Z"},
      {"case.window", "c1", "[2026-11-25T00:00:00Z, 2026-11-28T00:00:00Z)",
       "[2026-11-25T00:00:00Z, 2026-11-28T01:00:00Z)"},
      {"case", "c2", "sampled_at=2026-11-27T01:00:00Z window=[2026-11-25T01:00:00Z, 2026-11-28T01:00:00Z)",
       std::nullopt},
      {"link", "c1->c2", "linked", std::nullopt},
      {"link", "c2->c1", std::nullopt, "linked"},
      {"cluster", "c1", "c1,c2", "c1,c2,c3"},
  };
  EXPECT_EQ(got, want);
}

TEST(StateDiff, CaseDetailsAreComparedOnlyWhenBothSidesHaveThem) {
  DerivedState expected;
  expected.cases["c1"] = CaseInfo{kBase, kBase + kHour, kBase - kHour, {kBase - kHour, kBase + kHour}};
  DerivedState found = expected;
  found.cases["c1"].resulted_at.reset();
  found.cases["c1"].onset.reset();
  found.case_details = false;
  EXPECT_TRUE(DiffDerivedStates(expected, found).empty());
  found.case_details = true;
  EXPECT_EQ(DiffDerivedStates(expected, found).size(), 2u);
}

TEST(StateDiff, ReadOnlyStoreReadsWhatWasWritten) {
  TempDir dir;
  std::string error;
  {
    auto store = StateStore::Open(dir.Sub("state").string(), {}, &error);
    ASSERT_TRUE(store) << error;
    WriteTown(*store);
  }
  StoreOptions options;
  options.read_only = true;
  auto store = StateStore::Open(dir.Sub("state").string(), options, &error);
  ASSERT_TRUE(store) << error;
  auto view = store->Snapshot();
  EXPECT_EQ(ReadDerivedState(*view, 2).exposures.size(), 2u);
  EXPECT_FALSE(StateStore::Open(dir.Sub("missing").string(), options, &error));
}

}  // namespace
}  // namespace ctrace
