// The state store against a real RocksDB in a temporary directory.
#include "stores/state_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/temp_dir.h"

namespace ctrace {
namespace {

using test_support::TempDir;

constexpr TimeMs kBase = 1'795'737'600'000;  // 2026-11-27T00:00:00Z

Event MakeEvent(EventType type, std::string id, std::string person, TimeMs time, std::string venue = "") {
  Event event;
  event.type = type;
  event.id = std::move(id);
  event.person = std::move(person);
  event.time = time;
  event.venue = std::move(venue);
  return event;
}

VisitRecord Visit(std::string person, std::string venue, TimeMs start, TimeMs end, bool checked_out = false) {
  return VisitRecord{std::move(person), std::move(venue), start, end, checked_out};
}

std::vector<VisitRecord> VenueVisits(StateView& view, std::string_view venue, TimeMs from, TimeMs to,
                                     std::string_view after = {}) {
  std::vector<VisitRecord> out;
  view.ForEachVenueVisit(venue, from, to, after, [&](const VisitRecord& visit) {
    out.push_back(visit);
    return true;
  });
  return out;
}

std::vector<VisitRecord> PersonVisits(StateView& view, std::string_view person) {
  std::vector<VisitRecord> out;
  view.ForEachPersonVisit(person, [&](const VisitRecord& visit) {
    out.push_back(visit);
    return true;
  });
  return out;
}

std::vector<std::string> EventIds(StateView& view, std::string_view person) {
  std::vector<std::string> out;
  view.ForEachPersonEvent(person, [&](const Event& event) {
    out.push_back(event.id);
    return true;
  });
  return out;
}

std::vector<std::tuple<std::string, TimeMs, std::vector<std::string>>> Level(StateView& view, int level,
                                                                             std::string_view after = {}) {
  std::vector<std::tuple<std::string, TimeMs, std::vector<std::string>>> out;
  view.ForEachLevel(level, after, [&](const std::string& person, TimeMs exposed_at,
                                      const std::vector<std::string>& via) {
    out.emplace_back(person, exposed_at, via);
    return true;
  });
  return out;
}

std::vector<std::string> CaseIds(StateView& view, std::string_view after = {}) {
  std::vector<std::string> out;
  view.ForEachCase(after, [&](const std::string& person, const CaseInfo&) {
    out.push_back(person);
    return true;
  });
  return out;
}

using LinkList = std::vector<std::pair<std::string, std::vector<std::string>>>;

LinkList LinksOut(StateView& view, std::string_view from) {
  LinkList out;
  view.ForEachLinkOut(from, [&](const std::string& to, const std::vector<std::string>& venues) {
    out.emplace_back(to, venues);
    return true;
  });
  return out;
}

LinkList LinksIn(StateView& view, std::string_view to) {
  LinkList out;
  view.ForEachLinkIn(to, [&](const std::string& from, const std::vector<std::string>& venues) {
    out.emplace_back(from, venues);
    return true;
  });
  return out;
}

struct Expiring {
  TimeMs time;
  std::string person;
  std::string id;
  EventType type;
  bool operator==(const Expiring&) const = default;
};

std::vector<Expiring> ExpiringBefore(StateView& view, TimeMs before) {
  std::vector<Expiring> out;
  view.ForEachExpiring(before, [&](TimeMs time, const std::string& person, const std::string& id, EventType type) {
    out.push_back({time, person, id, type});
    return true;
  });
  return out;
}

CaseInfo SomeCase(TimeMs sampled, bool with_optionals) {
  CaseInfo info;
  info.sampled_at = sampled;
  if (with_optionals) {
    info.resulted_at = sampled + 5 * kHour;
    info.onset = sampled - 3 * kDay;
  }
  info.window = {sampled - 2 * kDay, sampled + kDay};
  return info;
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    std::string error;
    store_ = StateStore::Open(dir_.Sub("state").string(), StoreOptions{}, &error);
    ASSERT_NE(store_, nullptr) << error;
  }

  void Commit(StateTxn& txn, const LogPositions& applied = {{0, 1}}) {
    std::string error;
    ASSERT_TRUE(store_->Commit(txn, applied, &error)) << error;
  }

  TempDir dir_{"ctrace-state-store-"};
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreTest, NewStoreIsEmpty) {
  EXPECT_TRUE(store_->Applied().empty());
  auto view = store_->Snapshot();
  EXPECT_FALSE(view->GetPerson("A"));
  EXPECT_FALSE(view->HasEventId("e1"));
  EXPECT_TRUE(EventIds(*view, "A").empty());
  EXPECT_TRUE(CaseIds(*view).empty());
  EXPECT_TRUE(ExpiringBefore(*view, kTimeMax).empty());
  EXPECT_EQ(view->GetCounter("visits"), 0u);
}

TEST_F(StateStoreTest, EventsAreVisibleInTheTxnAndInvisibleToSnapshotsUntilCommit) {
  auto before = store_->Snapshot();
  auto txn = store_->Begin();
  txn->PutEvent(MakeEvent(EventType::kCheckin, "e2", "A", kBase + 10, "CAFE"));
  txn->PutEvent(MakeEvent(EventType::kCheckout, "e1", "A", kBase + 20, "CAFE"));
  txn->PutEvent(MakeEvent(EventType::kCheckin, "e3", "AB", kBase + 5, "CAFE"));

  // Read-your-writes.
  EXPECT_TRUE(txn->HasEventId("e1"));
  EXPECT_TRUE(txn->HasEventId("e2"));
  EXPECT_EQ(EventIds(*txn, "A"), (std::vector<std::string>{"e2", "e1"})) << "ordered by type, then time";
  EXPECT_EQ(EventIds(*txn, "AB"), (std::vector<std::string>{"e3"})) << "person prefixes must not mix";
  EXPECT_EQ(ExpiringBefore(*txn, kTimeMax).size(), 3u);

  // Nobody else sees them yet: neither an older snapshot nor one taken now.
  auto during = store_->Snapshot();
  for (StateView* view : {before.get(), during.get()}) {
    EXPECT_FALSE(view->HasEventId("e1"));
    EXPECT_TRUE(EventIds(*view, "A").empty());
    EXPECT_TRUE(ExpiringBefore(*view, kTimeMax).empty());
  }

  Commit(*txn);
  auto after = store_->Snapshot();
  EXPECT_TRUE(after->HasEventId("e1"));
  EXPECT_EQ(EventIds(*after, "A"), (std::vector<std::string>{"e2", "e1"}));
  // Snapshots taken before the commit stay as they were.
  EXPECT_FALSE(before->HasEventId("e1"));
  EXPECT_FALSE(during->HasEventId("e2"));
}

TEST_F(StateStoreTest, EventsRoundTripAllFields) {
  Event test = MakeEvent(EventType::kTestResult, "t-1", "P:1", kBase - 3 * kDay);
  test.result = TestOutcome::kPositive;
  test.resulted_at = kBase - 2 * kDay;
  test.kind = TestKind::kPcr;
  test.lab = "LAB-2";
  test.source = "app";
  Event decl = MakeEvent(EventType::kDeclaration, "d-1", "P:1", kBase - 4 * kDay);
  decl.onset = kBase - 5 * kDay;
  decl.symptoms = {"fever", "cough"};
  auto txn = store_->Begin();
  txn->PutEvent(test);
  txn->PutEvent(decl);
  Commit(*txn);
  std::vector<Event> read;
  store_->Snapshot()->ForEachPersonEvent("P:1", [&](const Event& event) {
    read.push_back(event);
    return true;
  });
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0], test);
  EXPECT_EQ(read[1], decl);
}

TEST_F(StateStoreTest, DeleteEventInTxnHidesCommittedEvent) {
  const Event e1 = MakeEvent(EventType::kCheckin, "e1", "A", kBase, "CAFE");
  const Event e2 = MakeEvent(EventType::kCheckin, "e2", "A", kBase + kHour, "BAR");
  {
    auto txn = store_->Begin();
    txn->PutEvent(e1);
    txn->PutEvent(e2);
    Commit(*txn);
  }
  auto txn = store_->Begin();
  txn->DeleteEvent(e1);
  EXPECT_FALSE(txn->HasEventId("e1"));
  EXPECT_EQ(EventIds(*txn, "A"), (std::vector<std::string>{"e2"}));
  EXPECT_EQ(ExpiringBefore(*txn, kTimeMax),
            (std::vector<Expiring>{{kBase + kHour, "A", "e2", EventType::kCheckin}}));
  EXPECT_TRUE(store_->Snapshot()->HasEventId("e1")) << "not committed yet";
  Commit(*txn);
  auto view = store_->Snapshot();
  EXPECT_FALSE(view->HasEventId("e1"));
  EXPECT_EQ(EventIds(*view, "A"), (std::vector<std::string>{"e2"}));
}

TEST_F(StateStoreTest, VenueIndexIteratorMergesBatchPutsAndDeletesWithCommittedVisits) {
  const auto a = Visit("A", "CAFE", kBase, kBase + kHour, true);
  const auto b = Visit("B", "CAFE", kBase + 10, kBase + kHour);
  const auto c = Visit("C", "CAFE", kBase + 20, kBase + kHour);
  const auto other_venue = Visit("A", "CAFE2", kBase + 15, kBase + kHour);
  {
    auto txn = store_->Begin();
    for (const auto& visit : {a, b, c, other_venue}) txn->PutVisit(visit);
    Commit(*txn);
  }
  auto txn = store_->Begin();
  txn->DeleteVisit(b);                                        // committed, deleted in the batch
  const auto d = Visit("D", "CAFE", kBase + 15, kBase + 2 * kHour);  // new in the batch
  txn->PutVisit(d);
  const auto e = Visit("E", "CAFE", kBase + 16, kBase + 2 * kHour);  // put then deleted in the batch
  txn->PutVisit(e);
  txn->DeleteVisit(e);
  const auto c2 = Visit("C", "CAFE", kBase + 20, kBase + 3 * kHour, true);  // overwritten in the batch
  txn->PutVisit(c2);

  EXPECT_EQ(VenueVisits(*txn, "CAFE", kTimeMin + 1, kTimeMax), (std::vector<VisitRecord>{a, d, c2}));
  EXPECT_EQ(PersonVisits(*txn, "B"), std::vector<VisitRecord>{});
  EXPECT_EQ(PersonVisits(*txn, "C"), std::vector<VisitRecord>{c2});
  EXPECT_EQ(PersonVisits(*txn, "E"), std::vector<VisitRecord>{});
  EXPECT_EQ(PersonVisits(*txn, "A"), (std::vector<VisitRecord>{a, other_venue}));
  // The committed state is untouched until commit.
  auto snapshot = store_->Snapshot();
  EXPECT_EQ(VenueVisits(*snapshot, "CAFE", kTimeMin + 1, kTimeMax), (std::vector<VisitRecord>{a, b, c}));
  Commit(*txn);
  EXPECT_EQ(VenueVisits(*store_->Snapshot(), "CAFE", kTimeMin + 1, kTimeMax),
            (std::vector<VisitRecord>{a, d, c2}));
  EXPECT_EQ(VenueVisits(*snapshot, "CAFE", kTimeMin + 1, kTimeMax), (std::vector<VisitRecord>{a, b, c}));
}

TEST_F(StateStoreTest, VenueIndexRangeIsHalfOpenAndVenuePrefixesDoNotMix) {
  const std::vector<VisitRecord> visits = {
      Visit("P1", "V", -kHour, kHour),  // negative times sort first
      Visit("P2", "V", 0, kHour),
      Visit("P3", "V", kHour, 2 * kHour),
      Visit("P4", "V", 2 * kHour, 3 * kHour),
      Visit("P5", "VX", kHour, 2 * kHour),
      Visit("P6", std::string("V") + "\x01", kHour, 2 * kHour),
  };
  auto txn = store_->Begin();
  for (const auto& visit : visits) txn->PutVisit(visit);
  Commit(*txn);
  auto view = store_->Snapshot();
  EXPECT_EQ(VenueVisits(*view, "V", kTimeMin + 1, kTimeMax),
            (std::vector<VisitRecord>{visits[0], visits[1], visits[2], visits[3]}));
  EXPECT_EQ(VenueVisits(*view, "V", 0, 2 * kHour), (std::vector<VisitRecord>{visits[1], visits[2]}))
      << "start_from inclusive, start_to exclusive";
  EXPECT_EQ(VenueVisits(*view, "V", -kHour, 0), (std::vector<VisitRecord>{visits[0]}));
  EXPECT_EQ(VenueVisits(*view, "V", -kHour + 1, 1), (std::vector<VisitRecord>{visits[1]}));
  EXPECT_TRUE(VenueVisits(*view, "V", 5, 5).empty());
  EXPECT_EQ(VenueVisits(*view, "VX", kTimeMin + 1, kTimeMax), (std::vector<VisitRecord>{visits[4]}));
  EXPECT_TRUE(VenueVisits(*view, "W", kTimeMin + 1, kTimeMax).empty());
}

TEST_F(StateStoreTest, VenueIndexResumeAfterPagesThroughEqualStarts) {
  std::vector<VisitRecord> visits;
  // Several people at the same start, to check (start, person) order and resumption.
  for (const char* person : {"B", "A", "C"}) visits.push_back(Visit(person, "V", kBase, kBase + kHour));
  for (const char* person : {"A", "D"}) visits.push_back(Visit(person, "V", kBase + kMinute, kBase + kHour));
  visits.push_back(Visit("A", "V", kBase + 2 * kMinute, kBase + kHour));
  auto txn = store_->Begin();
  for (const auto& visit : visits) txn->PutVisit(visit);
  Commit(*txn);
  auto view = store_->Snapshot();
  const auto all = VenueVisits(*view, "V", kBase, kBase + kDay);
  ASSERT_EQ(all.size(), 6u);
  const std::vector<std::pair<TimeMs, std::string>> expected_order = {
      {kBase, "A"}, {kBase, "B"}, {kBase, "C"}, {kBase + kMinute, "A"}, {kBase + kMinute, "D"},
      {kBase + 2 * kMinute, "A"}};
  for (size_t idx = 0; idx < all.size(); ++idx) {
    EXPECT_EQ(std::make_pair(all[idx].start, all[idx].person), expected_order[idx]) << idx;
  }
  // Pages of two, each resuming after the last key of the page before.
  std::vector<VisitRecord> paged;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::vector<VisitRecord> got;
    view->ForEachVenueVisit("V", kBase, kBase + kDay, cursor, [&](const VisitRecord& visit) {
      got.push_back(visit);
      return got.size() < 2;  // stop after two
    });
    if (got.empty()) break;
    paged.insert(paged.end(), got.begin(), got.end());
    cursor = VenueVisitKey(got.back());
  }
  EXPECT_EQ(paged, all);
  // A cursor before the range start does not widen the range; one past the range ends it.
  EXPECT_EQ(VenueVisits(*view, "V", kBase + kMinute, kBase + kDay, VenueVisitKey(all[0])).size(), 3u);
  EXPECT_TRUE(VenueVisits(*view, "V", kBase, kBase + kDay, VenueVisitKey(all.back())).empty());
  // The cursor works in a transaction too.
  auto txn2 = store_->Begin();
  EXPECT_EQ(VenueVisits(*txn2, "V", kBase, kBase + kDay, VenueVisitKey(all[2])),
            (std::vector<VisitRecord>{all[3], all[4], all[5]}));
}

TEST_F(StateStoreTest, AppliedPositionsRoundTripAndSurviveReopen) {
  const LogPositions positions = {{0, 5}, {3, 17}, {7, int64_t{1} << 40}};
  auto txn = store_->Begin();
  Commit(*txn, positions);
  EXPECT_EQ(store_->Applied(), positions);
  auto txn2 = store_->Begin();
  const LogPositions later = {{0, 6}, {3, 17}, {7, (int64_t{1} << 40) + 1}};
  Commit(*txn2, later);
  EXPECT_EQ(store_->Applied(), later);
  Reopen();
  EXPECT_EQ(store_->Applied(), later);
  store_->Flush();
  Reopen();
  EXPECT_EQ(store_->Applied(), later);
}

TEST_F(StateStoreTest, StateAndPositionCommitTogetherAndSurviveReopen) {
  auto txn = store_->Begin();
  txn->PutEvent(MakeEvent(EventType::kCheckin, "e1", "A", kBase, "CAFE"));
  txn->PutVisit(Visit("A", "CAFE", kBase, kBase + kHour));
  PersonState state;
  state.level = 1;
  state.exposed_at = kBase + 5;
  state.via = {"C1", "C2"};
  txn->PutPerson("A", PersonState{}, state);
  txn->AddCounter("visits", 1);
  Commit(*txn, {{0, 1}});
  // An uncommitted transaction is lost at close.
  {
    auto abandoned = store_->Begin();
    abandoned->PutEvent(MakeEvent(EventType::kCheckin, "e2", "B", kBase, "CAFE"));
  }
  Reopen();
  auto view = store_->Snapshot();
  EXPECT_EQ(store_->Applied(), (LogPositions{{0, 1}}));
  EXPECT_TRUE(view->HasEventId("e1"));
  EXPECT_FALSE(view->HasEventId("e2"));
  EXPECT_EQ(PersonVisits(*view, "A").size(), 1u);
  EXPECT_EQ(view->GetPerson("A"), state);
  EXPECT_EQ(view->GetCounter("visits"), 1u);
}

TEST_F(StateStoreTest, PersonStateRoundTrips) {
  PersonState exposed;
  exposed.level = 2;
  exposed.exposed_at = -123;  // negative times survive the LE encoding
  exposed.via = {"", "x", std::string(64, 'z')};
  PersonState with_case;
  with_case.level = 0;
  with_case.case_info = SomeCase(kBase, true);
  PersonState case_no_optionals;
  case_no_optionals.level = 0;
  case_no_optionals.case_info = SomeCase(kBase - kDay, false);
  auto txn = store_->Begin();
  txn->PutPerson("E", PersonState{}, exposed);
  txn->PutPerson("C", PersonState{}, with_case);
  txn->PutPerson("D", PersonState{}, case_no_optionals);
  EXPECT_EQ(txn->GetPerson("E"), exposed);
  Commit(*txn);
  auto view = store_->Snapshot();
  EXPECT_EQ(view->GetPerson("E"), exposed);
  EXPECT_EQ(view->GetPerson("C"), with_case);
  EXPECT_EQ(view->GetPerson("D"), case_no_optionals);
  EXPECT_FALSE(view->GetPerson("F"));
}

TEST_F(StateStoreTest, LevelsAndCasesIndexesFollowPutPerson) {
  PersonState none;
  PersonState f1;
  f1.level = 1;
  f1.exposed_at = kBase;
  f1.via = {"C"};
  PersonState f2 = f1;
  f2.level = 2;
  f2.exposed_at = kBase + kHour;
  f2.via = {"X", "Y"};
  PersonState as_case;
  as_case.level = 0;
  as_case.case_info = SomeCase(kBase, false);

  auto txn = store_->Begin();
  txn->PutPerson("P", none, f1);
  txn->PutPerson("Q", none, f1);
  EXPECT_EQ(Level(*txn, 1).size(), 2u) << "the index is readable in the transaction";
  Commit(*txn);
  {
    auto view = store_->Snapshot();
    const auto level1 = Level(*view, 1);
    ASSERT_EQ(level1.size(), 2u);
    EXPECT_EQ(level1[0], std::make_tuple(std::string("P"), kBase, std::vector<std::string>{"C"}));
    EXPECT_EQ(std::get<0>(level1[1]), "Q");
    EXPECT_EQ(Level(*view, 1, "P").size(), 1u) << "after is exclusive";
    EXPECT_TRUE(Level(*view, 2).empty());
    EXPECT_TRUE(Level(*view, 0).empty()) << "cases are not in the levels index";
  }

  // P moves from F1 to F2: the F1 entry goes, the F2 entry appears with the new values.
  auto txn2 = store_->Begin();
  txn2->PutPerson("P", f1, f2);
  EXPECT_EQ(Level(*txn2, 1).size(), 1u);
  EXPECT_EQ(Level(*txn2, 2), (std::vector<std::tuple<std::string, TimeMs, std::vector<std::string>>>{
                                 {"P", kBase + kHour, {"X", "Y"}}}));
  // Q becomes a case: out of the levels, into the cases.
  txn2->PutPerson("Q", f1, as_case);
  EXPECT_TRUE(Level(*txn2, 1).empty());
  EXPECT_EQ(CaseIds(*txn2), std::vector<std::string>{"Q"});
  Commit(*txn2);
  {
    auto view = store_->Snapshot();
    EXPECT_TRUE(Level(*view, 1).empty());
    EXPECT_EQ(Level(*view, 2).size(), 1u);
    EXPECT_EQ(CaseIds(*view), std::vector<std::string>{"Q"});
    CaseInfo info;
    view->ForEachCase({}, [&](const std::string&, const CaseInfo& read) {
      info = read;
      return true;
    });
    EXPECT_EQ(info, *as_case.case_info);
  }

  // Q stops being a case and P has no level: both indexes empty, both persons gone.
  auto txn3 = store_->Begin();
  EXPECT_EQ(txn3->GetPerson("P"), f2) << "read (and perhaps cached) before the write";
  txn3->PutPerson("Q", as_case, none);
  txn3->PutPerson("P", f2, none);
  EXPECT_FALSE(txn3->GetPerson("P")) << "read-your-writes after a read of the old state";
  EXPECT_FALSE(txn3->GetPerson("Q"));
  txn3->PutPerson("P", none, f1);
  EXPECT_EQ(txn3->GetPerson("P"), f1);
  txn3->PutPerson("P", f1, none);
  Commit(*txn3);
  auto view = store_->Snapshot();
  EXPECT_TRUE(CaseIds(*view).empty());
  EXPECT_TRUE(Level(*view, 2).empty());
  EXPECT_FALSE(view->GetPerson("P"));
  EXPECT_FALSE(view->GetPerson("Q"));
}

TEST_F(StateStoreTest, CasesPageAfterAndLevelPrefixIsolation) {
  auto txn = store_->Begin();
  for (const char* person : {"A", "AB", "B", "C"}) {
    PersonState state;
    state.level = 0;
    state.case_info = SomeCase(kBase, false);
    txn->PutPerson(person, PersonState{}, state);
  }
  PersonState f1;
  f1.level = 1;
  txn->PutPerson("A", PersonState{}, f1);  // (a person cannot be both; this is index plumbing)
  Commit(*txn);
  auto view = store_->Snapshot();
  EXPECT_EQ(CaseIds(*view), (std::vector<std::string>{"A", "AB", "B", "C"}));
  EXPECT_EQ(CaseIds(*view, "A"), (std::vector<std::string>{"AB", "B", "C"}));
  EXPECT_EQ(CaseIds(*view, "AB"), (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(CaseIds(*view, "BA"), (std::vector<std::string>{"C"}));
  EXPECT_TRUE(CaseIds(*view, "C").empty());
  EXPECT_EQ(Level(*view, 1).size(), 1u);
  EXPECT_TRUE(Level(*view, 2).empty());
}

TEST_F(StateStoreTest, ScansStopWhenTheCallbackSaysSo) {
  auto txn = store_->Begin();
  for (int idx = 0; idx < 5; ++idx) {
    txn->PutEvent(MakeEvent(EventType::kCheckin, "e" + std::to_string(idx), "A", kBase + idx, "V"));
    txn->PutVisit(Visit("P" + std::to_string(idx), "V", kBase + idx, kBase + kHour));
  }
  Commit(*txn);
  auto view = store_->Snapshot();
  int seen = 0;
  view->ForEachPersonEvent("A", [&](const Event&) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);
  seen = 0;
  view->ForEachVenueVisit("V", kTimeMin + 1, kTimeMax, {}, [&](const VisitRecord&) { return ++seen < 3; });
  EXPECT_EQ(seen, 3);
  seen = 0;
  view->ForEachExpiring(kTimeMax, [&](TimeMs, const std::string&, const std::string&, EventType) {
    return ++seen < 4;
  });
  EXPECT_EQ(seen, 4);
}

TEST_F(StateStoreTest, LinksInAndOut) {
  auto txn = store_->Begin();
  txn->PutLink("A", "B", {"V1", "V2"});
  txn->PutLink("A", "C", {"V3"});
  txn->PutLink("AB", "Z", {"V9"});  // "A" is a prefix of "AB": must not leak into A's links
  txn->PutLink("C", "A", {"V1"});
  EXPECT_EQ(LinksOut(*txn, "A"), (LinkList{{"B", {"V1", "V2"}}, {"C", {"V3"}}}));
  Commit(*txn);
  {
    auto view = store_->Snapshot();
    EXPECT_EQ(LinksOut(*view, "A"), (LinkList{{"B", {"V1", "V2"}}, {"C", {"V3"}}}));
    EXPECT_EQ(LinksIn(*view, "B"), (LinkList{{"A", {"V1", "V2"}}}));
    EXPECT_EQ(LinksIn(*view, "A"), (LinkList{{"C", {"V1"}}}));
    EXPECT_EQ(LinksOut(*view, "AB"), (LinkList{{"Z", {"V9"}}}));
    EXPECT_EQ(LinksIn(*view, "Z"), (LinkList{{"AB", {"V9"}}}));
    std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> all;
    view->ForEachLink([&](const std::string& from, const std::string& to, const std::vector<std::string>& venues) {
      all.emplace_back(from, to, venues);
      return true;
    });
    EXPECT_EQ(all, (std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>{
                       {"A", "B", {"V1", "V2"}}, {"A", "C", {"V3"}}, {"AB", "Z", {"V9"}}, {"C", "A", {"V1"}}}));
  }
  auto txn2 = store_->Begin();
  txn2->DeleteLink("A", "B");
  txn2->PutLink("A", "C", {"V4"});
  EXPECT_EQ(LinksOut(*txn2, "A"), (LinkList{{"C", {"V4"}}}));
  EXPECT_TRUE(LinksIn(*txn2, "B").empty());
  Commit(*txn2);
  auto view = store_->Snapshot();
  EXPECT_EQ(LinksOut(*view, "A"), (LinkList{{"C", {"V4"}}}));
  EXPECT_TRUE(LinksIn(*view, "B").empty());
  EXPECT_EQ(LinksIn(*view, "C"), (LinkList{{"A", {"V4"}}}));
}

TEST_F(StateStoreTest, CountersAccumulateInTxnAndAcrossCommitsAndReopen) {
  auto txn = store_->Begin();
  txn->AddCounter("visits", 3);
  txn->AddCounter("visits", 2);
  txn->AddCounter("cases", 1);
  txn->AddCounter("zero", 0);
  EXPECT_EQ(txn->GetCounter("visits"), 5u) << "read-your-writes for counters";
  EXPECT_EQ(store_->Snapshot()->GetCounter("visits"), 0u);
  Commit(*txn);
  EXPECT_EQ(store_->Snapshot()->GetCounter("visits"), 5u);
  auto txn2 = store_->Begin();
  txn2->AddCounter("visits", -2);
  EXPECT_EQ(txn2->GetCounter("visits"), 3u);
  Commit(*txn2);
  Reopen();
  auto view = store_->Snapshot();
  EXPECT_EQ(view->GetCounter("visits"), 3u);
  EXPECT_EQ(view->GetCounter("cases"), 1u);
  EXPECT_EQ(view->GetCounter("zero"), 0u);
  EXPECT_EQ(view->GetCounter("missing"), 0u);
  auto txn3 = store_->Begin();
  txn3->AddCounter("cases", -5);
  EXPECT_EQ(txn3->GetCounter("cases"), 0u) << "counters never read below zero";
}

TEST_F(StateStoreTest, ForEachExpiringIsInTimeOrderAndStrictlyBefore) {
  auto txn = store_->Begin();
  txn->PutEvent(MakeEvent(EventType::kCheckout, "z", "B", kBase + 2 * kHour, "V"));
  txn->PutEvent(MakeEvent(EventType::kCheckin, "y", "B", kBase, "V"));
  txn->PutEvent(MakeEvent(EventType::kTestResult, "x", "A", kBase, ""));
  txn->PutEvent(MakeEvent(EventType::kDeclaration, "w", "C", -kDay, ""));  // before the epoch
  txn->PutEvent(MakeEvent(EventType::kCheckin, "v", "A", kBase + kHour, "V"));
  Commit(*txn);
  auto view = store_->Snapshot();
  EXPECT_EQ(ExpiringBefore(*view, kBase),
            (std::vector<Expiring>{{-kDay, "C", "w", EventType::kDeclaration}}));
  EXPECT_EQ(ExpiringBefore(*view, kBase + 1),
            (std::vector<Expiring>{{-kDay, "C", "w", EventType::kDeclaration},
                                   {kBase, "A", "x", EventType::kTestResult},
                                   {kBase, "B", "y", EventType::kCheckin}}));
  EXPECT_EQ(ExpiringBefore(*view, kBase + 2 * kHour).size(), 4u);
  EXPECT_EQ(ExpiringBefore(*view, kBase + 2 * kHour + 1).size(), 5u);
  EXPECT_TRUE(ExpiringBefore(*view, -kDay).empty());
}

// Forgetting people deletes every alert that names them: as the subject, among a cluster's or
// hotspot's cases, or in `via` (found by a scan, not the index); nothing else goes.
TEST_F(StateStoreTest, ForgetPersonsDeletesEveryAlertNamingThemWhereverTheyAreNamed) {
  auto alert = [](AlertType type, std::string person, std::vector<std::string> via,
                  std::vector<std::string> cases = {}) {
    AlertView view;
    view.at = kBase;
    view.type = type;
    view.person = std::move(person);
    view.via = std::move(via);
    view.cases = std::move(cases);
    if (type == AlertType::kClusterChanged) view.id = view.cases.front();
    return view;
  };
  {
    auto txn = store_->Begin();
    txn->AppendAlert(alert(AlertType::kCaseNew, "A", {}));                          // 1
    txn->AppendAlert(alert(AlertType::kExposureNew, "B", {"A"}));                   // 2: A in via
    txn->AppendAlert(alert(AlertType::kExposureChanged, "C", {"D", "E"}));          // 3
    txn->AppendAlert(alert(AlertType::kExposureNew, "F", {"E", "G"}));              // 4: G in via
    txn->AppendAlert(alert(AlertType::kClusterChanged, "", {}, {"H", "J"}));        // 5: H a case
    txn->AppendAlert(alert(AlertType::kExposureRetracted, "K", {}));                // 6
    txn->PutForget("A");
    txn->PutForget("G");
    txn->PutForget("H");
    Commit(*txn);
  }
  auto seqs = [&] {
    std::vector<uint64_t> out;
    store_->Snapshot()->ForEachAlert(0, [&](const AlertView& view) {
      out.push_back(view.seq);
      return true;
    });
    return out;
  };
  ASSERT_EQ(seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  {
    auto txn = store_->Begin();
    std::vector<std::string> forget;
    txn->ForEachForget([&](const std::string& person) {
      forget.push_back(person);
      return true;
    });
    EXPECT_EQ(forget, (std::vector<std::string>{"A", "G", "H"}));
    EXPECT_EQ(txn->ForgetPersons(forget), 4u);
    Commit(*txn);
  }
  EXPECT_EQ(seqs(), (std::vector<uint64_t>{3, 6}));
  bool any_mark = false;
  store_->Snapshot()->ForEachForget([&](const std::string&) {
    any_mark = true;
    return false;
  });
  EXPECT_FALSE(any_mark);
  // Forgetting someone named nowhere any more deletes nothing.
  auto txn = store_->Begin();
  EXPECT_EQ(txn->ForgetPerson("A"), 0u);
  EXPECT_EQ(txn->ForgetPerson("E"), 1u) << "E is in the via of alert 3";
  Commit(*txn);
  EXPECT_EQ(seqs(), (std::vector<uint64_t>{6}));
}

}  // namespace
}  // namespace ctrace
