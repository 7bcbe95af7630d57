// The tracing engine, applied directly (EventDecoder -> TracingEngine -> QueryEngine, no log,
// no HTTP): the worked examples in every order and batching, and the retractions that an
// incremental engine gets wrong first.
#include "processors/tracing_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/event_decoder.h"
#include "tests/processors/engine_harness.h"
#include "tests/processors/test_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"

namespace ctrace {
namespace {

using namespace testing_events;  // NOLINT
using nlohmann::json;
using test_support::TempDir;

const TimeMs kNow = 1'795'737'600'000;  // 2026-11-27T00:00:00Z, the examples' clock

json Time(std::optional<TimeMs> t) { return t ? json(FormatUtc(*t)) : json(nullptr); }

// ---------------------------------------------------------------------------------------------
// The worked examples.

struct ExampleRun {
  json answer;  // the fields of expected.json the engine is responsible for
};

// Everything of an example's expected file that the engine answers, read through QueryEngine.
json Answer(EngineHarness& harness, const TracingParams& params, const json& expected, uint64_t accepted,
            uint64_t duplicates, const json& rejected) {
  QueryEngine& query = harness.query();
  json answer;
  answer["accepted"] = accepted;
  answer["duplicates"] = duplicates;
  answer["rejected"] = rejected;
  answer["visits"] = query.GetStats().visits;
  answer["now"] = FormatUtc(harness.clock().Now());
  json levels = json::object();
  for (int level = 1; level <= params.max_depth; ++level) {
    json list = json::array();
    std::string after;
    while (true) {
      const ExposedPage page = query.ListExposed(level, std::nullopt, after, 1);  // paging of one
      for (const auto& entry : page.persons) {
        list.push_back({{"person", entry.person}, {"exposed_at", Time(entry.exposed_at)}, {"via", entry.via}});
      }
      if (!page.next_after) break;
      after = *page.next_after;
    }
    levels[std::to_string(level)] = list;
  }
  answer["levels"] = levels;
  json cases = json::array();
  std::string after;
  while (true) {
    const CasesPage page = query.ListCases(after, 2);
    for (const auto& entry : page.cases) {
      cases.push_back({{"person", entry.person},
                       {"sampled_at", Time(entry.info.sampled_at)},
                       {"window", {{"start", Time(entry.info.window.start)}, {"end", Time(entry.info.window.end)}}},
                       {"linked_from", entry.linked_from}});
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  answer["cases"] = cases;
  json clusters = json::array();
  for (const auto& cluster : query.ListClusters()) clusters.push_back({{"id", cluster.id}, {"cases", cluster.cases}});
  answer["clusters"] = clusters;
  json chains = json::object();
  for (const auto& [root, unused] : expected.at("chains").items()) {
    const auto chain = query.GetChain(root, params.max_depth);
    if (!chain) {
      chains[root] = nullptr;
      continue;
    }
    std::vector<ChainNode> nodes = chain->nodes;
    std::sort(nodes.begin(), nodes.end(), [](const ChainNode& a, const ChainNode& b) { return a.person < b.person; });
    json list = json::array();
    for (const auto& node : nodes) {
      list.push_back({{"person", node.person}, {"level", node.level}, {"exposed_at", Time(node.exposed_at)}});
    }
    chains[root] = list;
  }
  answer["chains"] = chains;
  return answer;
}

class ExamplesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExamplesTest, EveryOrderAndBatchingGivesTheExpectedAnswer) {
  const std::string base = test_support::TestDataDir() + "/examples/" + GetParam();
  const auto lines = test_support::ReadLines(base + ".ndjson");
  const json expected = test_support::ReadJsonFile(base + ".expected.json");
  TracingParams params;
  EventDecoder decoder;
  std::vector<Event> events;
  json rejected = json::array();
  for (size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    auto outcome = decoder.Decode(lines[line_idx], kNow, params);
    if (outcome.event) {
      events.push_back(std::move(*outcome.event));
    } else {
      rejected.push_back({{"line", line_idx + 1}, {"reason", outcome.reason}});
    }
  }
  std::mt19937_64 rng(std::hash<std::string>()(GetParam()));
  for (int order = 0; order < 8; ++order) {
    SCOPED_TRACE("order " + std::to_string(order));
    std::vector<Event> feed = events;
    if (order > 0) std::shuffle(feed.begin(), feed.end(), rng);
    TempDir dir("ctrace-examples-");
    EngineHarness harness(dir.Sub("state"), params, kNow);
    uint64_t accepted = 0, duplicates = 0;
    size_t next = 0;
    while (next < feed.size()) {
      // order 0: the file in one batch; order 1: one event per batch; then random batches.
      const size_t size = order == 0 ? feed.size() : order == 1 ? 1 : 1 + rng() % 4;
      const std::vector<Event> batch(feed.begin() + static_cast<std::ptrdiff_t>(next),
                                     feed.begin() + static_cast<std::ptrdiff_t>(std::min(feed.size(), next + size)));
      next += batch.size();
      const ApplyCounts counts = harness.Apply(batch);
      accepted += counts.applied;
      duplicates += counts.duplicates;
      if (order >= 2 && rng() % 3 == 0) harness.Restart();
    }
    const json answer = Answer(harness, params, expected, accepted, duplicates, rejected);
    for (const auto& [field, value] : expected.items()) {
      EXPECT_EQ(answer.at(field), value) << GetParam() << " field " << field << "\n engine:   "
                                         << answer.at(field).dump() << "\n expected: " << value.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, ExamplesTest, ::testing::ValuesIn(test_support::ExampleNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ExamplesPresent, AllFiveWorkedExamplesAreFound) {
  EXPECT_EQ(test_support::ExampleNames().size(), 5u) << "CTRACE_TESTDATA=" << test_support::TestDataDir();
}

// ---------------------------------------------------------------------------------------------
// Retractions and late events.

class TracingEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { harness_ = std::make_unique<EngineHarness>(dir_.Sub("state"), params_, kNow); }

  // Level, exposed_at and via of one person, as one comparable value.
  struct Exposure {
    std::optional<int> level;
    TimeMs exposed_at = 0;
    std::vector<std::string> via;
    bool operator==(const Exposure&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const Exposure& e) {
      os << "level=" << (e.level ? std::to_string(*e.level) : "none");
      if (e.level && *e.level > 0) {
        os << " exposed_at=" << FormatUtc(e.exposed_at) << " via=[";
        for (const auto& p : e.via) os << p << ' ';
        os << ']';
      }
      return os;
    }
  };

  Exposure Get(std::string_view person) {
    const auto state = harness_->Person(person);
    if (!state) return {};
    return {state->level, state->exposed_at, state->via};
  }

  static Exposure F(int level, TimeMs exposed_at, std::vector<std::string> via) {
    return {level, exposed_at, std::move(via)};
  }
  static Exposure Case() { return {0, 0, {}}; }
  static Exposure None() { return {}; }

  uint64_t Counter(const std::string& name) { return harness_->store().Snapshot()->GetCounter(name); }

  // Everyone at level 1..max_depth according to the level index.
  std::set<std::string> Listed(int level) {
    std::set<std::string> out;
    for (const auto& entry : harness_->query().ListExposed(level, std::nullopt, "", 1000).persons) {
      out.insert(entry.person);
    }
    return out;
  }

  TracingParams params_;
  TempDir dir_{"ctrace-engine-"};
  std::unique_ptr<EngineHarness> harness_;
};

TEST_F(TracingEngineTest, LateCheckoutShorteningADefaultVisitRetractsF1AndItsF2s) {
  harness_->Apply({
      Checkin("a1", "A", "CAFE", T("2026-11-20T08:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-20T09:00:00Z")),
      Positive("at", "A", T("2026-11-21T10:00:00Z"), T("2026-11-22T10:00:00Z")),
      // B: no check-out, so [08:30, 09:30) and 30 min with A.
      Checkin("b1", "B", "CAFE", T("2026-11-20T08:30:00Z")),
      Checkin("b2", "B", "OFFICE", T("2026-11-20T12:00:00Z")),
      Checkout("b3", "B", "OFFICE", T("2026-11-20T14:00:00Z")),
      // E: 15 min with A exactly (the boundary counts).
      Checkin("e1", "E", "CAFE", T("2026-11-20T08:45:00Z")),
      Checkout("e2", "E", "CAFE", T("2026-11-20T09:45:00Z")),
      // C meets only B; D meets B and E (and A for 10 min, not a contact).
      Checkin("c1", "C", "OFFICE", T("2026-11-20T12:30:00Z")),
      Checkout("c2", "C", "OFFICE", T("2026-11-20T13:30:00Z")),
      Checkin("d1", "D", "CAFE", T("2026-11-20T08:50:00Z")),
      Checkout("d2", "D", "CAFE", T("2026-11-20T09:40:00Z")),
  });
  EXPECT_EQ(Get("A"), Case());
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T08:30:00Z"), {"A"}));
  EXPECT_EQ(Get("E"), F(1, T("2026-11-20T08:45:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), F(2, T("2026-11-20T12:30:00Z"), {"B"}));
  EXPECT_EQ(Get("D"), F(2, T("2026-11-20T08:50:00Z"), {"B", "E"}));
  EXPECT_EQ(Counter("persons.level.1"), 2u);
  EXPECT_EQ(Counter("persons.level.2"), 2u);

  // B's check-out arrives late: 08:30-08:40 leaves 10 minutes with A.
  harness_->Apply(Checkout("b4", "B", "CAFE", T("2026-11-20T08:40:00Z")));
  EXPECT_EQ(Get("B"), None());
  EXPECT_EQ(Get("C"), None()) << "C's only support was B";
  EXPECT_EQ(Get("D"), F(2, T("2026-11-20T08:50:00Z"), {"E"})) << "D keeps E, loses B";
  EXPECT_EQ(Get("E"), F(1, T("2026-11-20T08:45:00Z"), {"A"}));
  EXPECT_EQ(Listed(1), std::set<std::string>{"E"});
  EXPECT_EQ(Listed(2), std::set<std::string>{"D"});
  EXPECT_EQ(Counter("persons.level.1"), 1u);
  EXPECT_EQ(Counter("persons.level.2"), 1u);
  EXPECT_EQ(Counter("visits"), 6u);
  // B's visit is stored with its check-out.
  const auto b = harness_->query().GetPerson("B");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->visits.size(), 2u);
  EXPECT_EQ(b->visits[0].end, T("2026-11-20T08:40:00Z"));
  EXPECT_TRUE(b->visits[0].checked_out);
  EXPECT_FALSE(b->level);
  EXPECT_TRUE(b->contacts.empty());
}

TEST_F(TracingEngineTest, LateEarlierPositiveMovesTheWindowBothWays) {
  harness_->Apply({
      Positive("t2", "A", T("2026-11-24T10:00:00Z"), T("2026-11-25T10:00:00Z")),
      Checkin("a1", "A", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("a2", "A", "GYM", T("2026-11-20T19:00:00Z")),
      Checkin("a3", "A", "BAR", T("2026-11-23T20:00:00Z")),
      Checkout("a4", "A", "BAR", T("2026-11-23T21:00:00Z")),
      Checkin("b1", "B", "GYM", T("2026-11-20T18:10:00Z")),
      Checkout("b2", "B", "GYM", T("2026-11-20T19:10:00Z")),
      Checkin("c1", "C", "BAR", T("2026-11-23T20:20:00Z")),
      Checkout("c2", "C", "BAR", T("2026-11-23T21:20:00Z")),
      // D meets C after C's exposure: F2 while C is F1.
      Checkin("d1", "D", "BAR", T("2026-11-23T21:00:00Z")),
      Checkout("d2", "D", "BAR", T("2026-11-23T21:30:00Z")),
  });
  EXPECT_EQ(Get("B"), None());
  EXPECT_EQ(Get("C"), F(1, T("2026-11-23T20:20:00Z"), {"A"}));
  EXPECT_EQ(Get("D"), F(2, T("2026-11-23T21:00:00Z"), {"C"}));

  // An earlier positive arrives: window [11-19 12:00, 11-22 00:00).
  harness_->Apply(Positive("t1", "A", T("2026-11-21T12:00:00Z"), T("2026-11-22T00:00:00Z")));
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T18:10:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), None());
  EXPECT_EQ(Get("D"), None());
  const auto cases = harness_->query().ListCases("", 10).cases;
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].info.sampled_at, T("2026-11-21T12:00:00Z"));
  EXPECT_EQ(cases[0].info.window, (Window{T("2026-11-19T12:00:00Z"), T("2026-11-22T00:00:00Z")}));
}

TEST_F(TracingEngineTest, LateDeclarationMovesTheWindowEarlier) {
  harness_->Apply({
      Positive("t1", "A", T("2026-11-21T10:00:00Z")),
      Checkin("a1", "A", "SCHOOL", T("2026-11-18T08:00:00Z")),
      Checkout("a2", "A", "SCHOOL", T("2026-11-18T10:00:00Z")),
      Checkin("b1", "B", "SCHOOL", T("2026-11-18T09:00:00Z")),
      Checkout("b2", "B", "SCHOOL", T("2026-11-18T11:00:00Z")),
      Checkin("b3", "B", "HOME", T("2026-11-19T20:00:00Z")),
      Checkout("b4", "B", "HOME", T("2026-11-19T22:00:00Z")),
      Checkin("c1", "C", "HOME", T("2026-11-19T20:00:00Z")),
      Checkout("c2", "C", "HOME", T("2026-11-19T22:00:00Z")),
  });
  EXPECT_EQ(Get("B"), None());
  EXPECT_EQ(Get("C"), None());
  // An onset outside the lookback changes nothing.
  harness_->Apply(Declaration("d0", "A", T("2026-11-21T08:00:00Z"), T("2026-11-01T00:00:00Z")));
  EXPECT_EQ(Get("B"), None());
  // An onset inside it moves the start to 11-15 12:00.
  harness_->Apply(Declaration("d1", "A", T("2026-11-21T08:00:00Z"), T("2026-11-17T12:00:00Z")));
  EXPECT_EQ(Get("B"), F(1, T("2026-11-18T09:00:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), F(2, T("2026-11-19T20:00:00Z"), {"B"}));
  const auto a = harness_->query().GetPerson("A");
  ASSERT_TRUE(a && a->case_info);
  EXPECT_EQ(a->case_info->onset, T("2026-11-17T12:00:00Z"));
  EXPECT_EQ(a->case_info->window.start, T("2026-11-15T12:00:00Z"));
}

TEST_F(TracingEngineTest, LateCheckinCutsAnEarlierVisitShort) {
  harness_->Apply({
      Positive("ta", "A", T("2026-11-21T10:00:00Z")),
      Checkin("a1", "A", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-20T10:00:00Z")),
      Positive("tx", "X", T("2026-11-21T10:00:00Z")),
      Checkin("x1", "X", "SHOP", T("2026-11-20T09:00:00Z")),
      Checkout("x2", "X", "SHOP", T("2026-11-20T10:00:00Z")),
      Checkin("b1", "B", "CAFE", T("2026-11-20T08:30:00Z")),
      Checkout("b2", "B", "CAFE", T("2026-11-20T10:00:00Z")),
      // C meets B at CAFE only while B's visit is long.
      Checkin("c1", "C", "CAFE", T("2026-11-20T09:40:00Z")),
      Checkout("c2", "C", "CAFE", T("2026-11-20T11:00:00Z")),
  });
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T09:00:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T09:40:00Z"), {"A"}));

  // B's check-in at SHOP arrives late: the CAFE visit ends at 09:05 (the check-out at 10:00
  // is after it and no longer matches), 5 minutes with A; at SHOP B meets X from 09:05.
  harness_->Apply(Checkin("b3", "B", "SHOP", T("2026-11-20T09:05:00Z")));
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T09:05:00Z"), {"X"}));
  const auto b = harness_->query().GetPerson("B");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->visits.size(), 2u);
  EXPECT_EQ(b->visits[0].venue, "CAFE");
  EXPECT_EQ(b->visits[0].end, T("2026-11-20T09:05:00Z"));
  EXPECT_FALSE(b->visits[0].checked_out);
  EXPECT_EQ(b->visits[1].venue, "SHOP");
  EXPECT_EQ(b->visits[1].end, T("2026-11-20T10:05:00Z"));
  ASSERT_EQ(b->contacts.size(), 1u);
  EXPECT_EQ(b->contacts[0].person, "X");
  EXPECT_EQ(b->contacts[0].start, T("2026-11-20T09:05:00Z"));
  EXPECT_EQ(b->contacts[0].end, T("2026-11-20T10:00:00Z"));
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T09:40:00Z"), {"A"})) << "C keeps its own contact with A";

  // Check-ins at the same instant are ordered by id: one with a smaller id than b3 is itself
  // cut to zero length; one with a larger id cuts the SHOP visit to zero length.
  harness_->Apply(Checkin("b0", "B", "HOME", T("2026-11-20T09:05:00Z")));
  // Order by (ts, id): b0 (HOME) then b3 (SHOP): HOME is cut to zero, SHOP stays.
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T09:05:00Z"), {"X"}));
  harness_->Apply(Checkin("b4", "B", "HOME", T("2026-11-20T09:05:00Z")));
  // Now b3 (SHOP) is followed by b4 (HOME) at the same ts: SHOP is dropped, HOME remains.
  EXPECT_EQ(Get("B"), None());
  EXPECT_EQ(harness_->query().GetPerson("B")->visits.size(), 2u);
}

TEST_F(TracingEngineTest, LatePositiveTurnsAnF1IntoACaseAndItsContactsMoveUp) {
  harness_->Apply({
      Positive("ta", "A", T("2026-11-21T10:00:00Z")),
      Checkin("a1", "A", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-20T10:00:00Z")),
      Checkin("b1", "B", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("b2", "B", "CAFE", T("2026-11-20T10:00:00Z")),
      Checkin("b3", "B", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("b4", "B", "GYM", T("2026-11-20T19:00:00Z")),
      Checkin("c1", "C", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("c2", "C", "GYM", T("2026-11-20T19:00:00Z")),
  });
  EXPECT_EQ(Get("B"), F(1, T("2026-11-20T09:00:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), F(2, T("2026-11-20T18:00:00Z"), {"B"}));
  EXPECT_TRUE(harness_->query().ListClusters().empty());
  harness_->Apply(Positive("tb", "B", T("2026-11-22T10:00:00Z")));
  EXPECT_EQ(Get("B"), Case());
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T18:00:00Z"), {"B"}));
  EXPECT_EQ(Counter("cases"), 2u);
  EXPECT_EQ(Counter("persons.level.0"), 2u);
  EXPECT_EQ(Counter("persons.level.2"), 0u);
  // A -> B is a link (contact inside A's window before B's sampling): one cluster.
  const auto clusters = harness_->query().ListClusters();
  ASSERT_EQ(clusters.size(), 1u);
  EXPECT_EQ(clusters[0].id, "A");
  EXPECT_EQ(clusters[0].cases, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(clusters[0].venues, std::vector<std::string>{"CAFE"});

  // A late positive for B sampled before the meeting: the contact is no longer before B's
  // index sampling, so A -> B goes; but B's window now covers the meeting, which is before A's
  // sampling: the link turns round to B -> A and the cluster stays.
  harness_->Apply(Positive("tb0", "B", T("2026-11-20T08:00:00Z")));
  const auto cases = harness_->query().ListCases("", 10).cases;
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].linked_from, std::vector<std::string>{"B"});
  EXPECT_TRUE(cases[1].linked_from.empty()) << "B is no longer linked from A";
  const auto turned = harness_->query().ListClusters();
  ASSERT_EQ(turned.size(), 1u);
  ASSERT_EQ(turned[0].links.size(), 1u);
  EXPECT_EQ(turned[0].links[0].from, "B");
  EXPECT_EQ(turned[0].links[0].to, "A");
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T18:00:00Z"), {"B"}));

  // The meeting expires: no link either way, the cluster dissolves.
  harness_->ExpireAll(T("2026-11-20T10:00:00Z") + 30 * kDay + 1);
  EXPECT_TRUE(harness_->query().ListClusters().empty());
  for (const auto& entry : harness_->query().ListCases("", 10).cases) {
    EXPECT_TRUE(entry.linked_from.empty()) << entry.person;
  }
}

TEST_F(TracingEngineTest, F2PromotedToF1PassesExposureOnAndDemotedAgainStops) {
  // max_depth 2: D, who meets C, has a level only while C is an F1.
  harness_->Apply({
      Positive("ta", "A", T("2026-11-21T10:00:00Z")),
      Checkin("a1", "A", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-20T10:00:00Z")),
      Checkin("b1", "B", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("b2", "B", "CAFE", T("2026-11-20T10:00:00Z")),
      Checkin("b3", "B", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("b4", "B", "GYM", T("2026-11-20T19:00:00Z")),
      Checkin("c1", "C", "PARK", T("2026-11-20T12:00:00Z")),
      Checkout("c2", "C", "PARK", T("2026-11-20T13:00:00Z")),
      Checkin("c3", "C", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("c4", "C", "GYM", T("2026-11-20T19:00:00Z")),
      Checkin("c5", "C", "BAR", T("2026-11-21T20:00:00Z")),
      Checkout("c6", "C", "BAR", T("2026-11-21T21:00:00Z")),
      Checkin("d1", "D", "BAR", T("2026-11-21T20:00:00Z")),
      Checkout("d2", "D", "BAR", T("2026-11-21T21:00:00Z")),
  });
  EXPECT_EQ(Get("C"), F(2, T("2026-11-20T18:00:00Z"), {"B"}));
  EXPECT_EQ(Get("D"), None()) << "level 3 is beyond max_depth";

  // X, a new case, was at the PARK with C (no check-out: 12:00-13:00).
  harness_->Apply({Positive("tx", "X", T("2026-11-21T10:00:00Z")),
                   Checkin("x1", "X", "PARK", T("2026-11-20T12:00:00Z"))});
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T12:00:00Z"), {"X"}));
  EXPECT_EQ(Get("D"), F(2, T("2026-11-21T20:00:00Z"), {"C"})) << "C now passes exposure on";

  // X's late check-out at 12:05: C is an F2 again, and D loses its level.
  harness_->Apply(Checkout("x2", "X", "PARK", T("2026-11-20T12:05:00Z")));
  EXPECT_EQ(Get("C"), F(2, T("2026-11-20T18:00:00Z"), {"B"}));
  EXPECT_EQ(Get("D"), None());
  harness_->Restart();
  // A new visit of D with C after the restart changes nothing either (C is at max_depth).
  harness_->Apply({Checkin("d3", "D", "BAR", T("2026-11-21T20:30:00Z"))});
  EXPECT_EQ(Get("D"), None());
}

// tracing.md §7 is a function of the live events and `now`. A case may check in up to
// max_clock_skew after the clock that applies the event; once `now` passes that check-in, the
// venue must be a hotspot even if no further event arrives.
TEST_F(TracingEngineTest, HotspotAppearsAsTheClockPassesACaseVisitThatStartedAfterApplyNow) {
  harness_->Apply({
      Positive("ta", "A", kNow - kDay), Checkin("a1", "A", "V", kNow - kHour),
      Positive("tb", "B", kNow - kDay), Checkin("b1", "B", "V", kNow - kHour),
      Positive("tc", "C", kNow),                     // W0 = [now - 48 h, now + 24 h): covers c1
      Checkin("c1", "C", "V", kNow + 2 * kMinute),  // within the 5-minute clock skew
  });
  EXPECT_TRUE(harness_->query().ListHotspots().empty()) << "C's visit has not started yet";
  harness_->clock().Set(kNow + 3 * kMinute);
  const auto hotspots = harness_->query().ListHotspots();
  ASSERT_EQ(hotspots.size(), 1u) << "three cases have a visit at V starting in [now - 7 d, now)";
  EXPECT_EQ(hotspots[0].venue, "V");
  EXPECT_EQ(hotspots[0].cases, (std::vector<std::string>{"A", "B", "C"}));
}

TEST_F(TracingEngineTest, HotspotAgesOutAsTheClockMoves) {
  harness_->Apply({
      Positive("ta", "A", kNow - kDay), Checkin("a1", "A", "V", kNow - 2 * kDay),
      Positive("tb", "B", kNow - kDay), Checkin("b1", "B", "V", kNow - 2 * kDay),
      Positive("tc", "C", kNow - kDay), Checkin("c1", "C", "V", kNow - 2 * kDay + kHour),
  });
  ASSERT_EQ(harness_->query().ListHotspots().size(), 1u);
  harness_->clock().Set(kNow - 2 * kDay + 7 * kDay);  // A's and B's visits start at now - 7 d: in
  EXPECT_EQ(harness_->query().ListHotspots().size(), 1u);
  harness_->clock().Set(kNow - 2 * kDay + 7 * kDay + 1);  // 1 ms later they are out
  EXPECT_TRUE(harness_->query().ListHotspots().empty());
}

TEST_F(TracingEngineTest, NegativeTestChangesNoLevel) {
  harness_->Apply({
      Checkin("b1", "B", "CAFE", T("2026-11-20T09:00:00Z")),
      TestResult("tn", "B", T("2026-11-21T10:00:00Z"), false, T("2026-11-21T12:00:00Z")),
  });
  EXPECT_EQ(Get("B"), None());
  EXPECT_EQ(Counter("cases"), 0u);
  const auto b = harness_->query().GetPerson("B");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->tests.size(), 1u);
  EXPECT_EQ(b->tests[0].result, TestOutcome::kNegative);
}

TEST_F(TracingEngineTest, DuplicatesAcrossAndWithinBatchesChangeNothing) {
  const Event checkin = Checkin("e1", "A", "CAFE", T("2026-11-20T09:00:00Z"));
  Event same_id = Checkin("e1", "A", "BAR", T("2026-11-20T12:00:00Z"));
  ApplyCounts first = harness_->Apply({checkin, checkin});
  EXPECT_EQ(first.applied, 1u);
  EXPECT_EQ(first.duplicates, 1u);
  ApplyCounts second = harness_->Apply({same_id});
  EXPECT_EQ(second.applied, 0u);
  EXPECT_EQ(second.duplicates, 1u);
  harness_->Restart();
  ApplyCounts third = harness_->Apply({checkin});
  EXPECT_EQ(third.duplicates, 1u) << "duplicates are recognised after a restart";
  const auto a = harness_->query().GetPerson("A");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->visits.size(), 1u);
  EXPECT_EQ(a->visits[0].venue, "CAFE");
  EXPECT_EQ(Counter("applied.checkin"), 1u);
}

TEST_F(TracingEngineTest, ExpireRemovesPeopleWhoseOnlyContactExpired) {
  harness_->Apply({
      Positive("ta", "A", T("2026-11-21T10:00:00Z")),  // window [11-19 10:00, 11-22 10:00)
      Checkin("a1", "A", "CAFE", T("2026-11-19T12:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-19T13:00:00Z")),
      Checkin("a3", "A", "BAR", T("2026-11-21T20:00:00Z")),
      Checkout("a4", "A", "BAR", T("2026-11-21T21:00:00Z")),
      Checkin("b1", "B", "CAFE", T("2026-11-19T12:00:00Z")),
      Checkout("b2", "B", "CAFE", T("2026-11-19T13:00:00Z")),
      Checkin("b3", "B", "OFFICE", T("2026-11-21T09:00:00Z")),
      Checkout("b4", "B", "OFFICE", T("2026-11-21T10:00:00Z")),
      Checkin("c1", "C", "BAR", T("2026-11-21T20:00:00Z")),
      Checkout("c2", "C", "BAR", T("2026-11-21T21:00:00Z")),
      Checkin("d1", "D", "OFFICE", T("2026-11-21T09:00:00Z")),
      Checkout("d2", "D", "OFFICE", T("2026-11-21T10:00:00Z")),
  });
  EXPECT_EQ(Get("B"), F(1, T("2026-11-19T12:00:00Z"), {"A"}));
  EXPECT_EQ(Get("C"), F(1, T("2026-11-21T20:00:00Z"), {"A"}));
  EXPECT_EQ(Get("D"), F(2, T("2026-11-21T09:00:00Z"), {"B"}));

  // Nothing is due yet.
  EXPECT_EQ(harness_->ExpireAll(kNow).expired, 0u);

  // The two check-ins at 11-19 12:00 stop being live 1 ms after 12-19 12:00.
  const TimeMs later = T("2026-11-19T12:00:00Z") + 30 * kDay + 1;
  int rounds = 0;
  const ApplyCounts expired = harness_->ExpireAll(later, 1, &rounds);
  EXPECT_EQ(expired.expired, 2u);
  EXPECT_GE(rounds, 2) << "max_events = 1 must split the work";
  auto view = harness_->store().Snapshot();
  EXPECT_FALSE(view->HasEventId("a1"));
  EXPECT_FALSE(view->HasEventId("b1"));
  EXPECT_TRUE(view->HasEventId("a2")) << "the check-out 1 h later is still live";
  EXPECT_EQ(view->GetCounter("applied.checkin"), 4u);
  EXPECT_EQ(Get("A"), Case());
  EXPECT_EQ(Get("B"), None()) << "B's only contact with A was at the expired visit";
  EXPECT_EQ(Get("D"), None()) << "D's support was B";
  EXPECT_EQ(Get("C"), F(1, T("2026-11-21T20:00:00Z"), {"A"}));
  EXPECT_EQ(Listed(1), std::set<std::string>{"C"});
  EXPECT_TRUE(Listed(2).empty());
  EXPECT_EQ(Counter("visits"), 4u) << "A's BAR, B's OFFICE, C's BAR, D's OFFICE";

  // An event that is no longer live when applied is not stored.
  const ApplyCounts late = harness_->Apply(Checkin("old", "Z", "CAFE", T("2026-11-19T12:00:00Z")));
  EXPECT_EQ(late.expired, 1u);
  EXPECT_EQ(late.applied, 0u);
  EXPECT_FALSE(harness_->store().Snapshot()->HasEventId("old"));

  // When A's test expires A stops being a case and C loses its level.
  harness_->ExpireAll(T("2026-11-21T10:00:00Z") + 30 * kDay + 1);
  EXPECT_EQ(Get("A"), None());
  EXPECT_EQ(Get("C"), None());
  EXPECT_TRUE(harness_->query().ListCases("", 10).cases.empty());
  EXPECT_EQ(Counter("cases"), 0u);
  EXPECT_EQ(Counter("persons.level.0"), 0u);
  EXPECT_EQ(Counter("persons.level.1"), 0u);

  // Everything expires in the end, and nothing is left in any index.
  harness_->ExpireAll(kNow + 31 * kDay);
  view = harness_->store().Snapshot();
  EXPECT_EQ(view->GetCounter("visits"), 0u);
  int left = 0;
  view->ForEachExpiring(kTimeMax, [&](TimeMs, const std::string&, const std::string&, EventType) {
    ++left;
    return true;
  });
  EXPECT_EQ(left, 0);
  for (const char* person : {"A", "B", "C", "D"}) {
    EXPECT_FALSE(harness_->query().GetPerson(person)) << person;
  }
}

TEST_F(TracingEngineTest, ChainIncludesOtherCasesAndRespectsDepth) {
  harness_->Apply({
      Positive("ta", "A", T("2026-11-21T10:00:00Z")),
      Checkin("a1", "A", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("a2", "A", "CAFE", T("2026-11-20T10:00:00Z")),
      Positive("tb", "B", T("2026-11-22T10:00:00Z")),
      Checkin("b1", "B", "CAFE", T("2026-11-20T09:00:00Z")),
      Checkout("b2", "B", "CAFE", T("2026-11-20T10:00:00Z")),
      Checkin("b3", "B", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("b4", "B", "GYM", T("2026-11-20T19:00:00Z")),
      Checkin("c1", "C", "GYM", T("2026-11-20T18:00:00Z")),
      Checkout("c2", "C", "GYM", T("2026-11-20T19:00:00Z")),
  });
  const auto chain = harness_->query().GetChain("A", 2);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->nodes.size(), 3u);
  EXPECT_EQ(chain->nodes[1].person, "B");
  EXPECT_EQ(chain->nodes[1].level, 1);
  EXPECT_TRUE(chain->nodes[1].is_case);
  EXPECT_EQ(chain->nodes[2].person, "C");
  EXPECT_EQ(chain->nodes[2].level, 2);
  EXPECT_EQ(chain->nodes[2].exposed_at, T("2026-11-20T18:00:00Z"));
  EXPECT_EQ(harness_->query().GetChain("A", 1)->nodes.size(), 2u);
  EXPECT_FALSE(harness_->query().GetChain("C", 2)) << "C is not a case";
  EXPECT_EQ(Get("C"), F(1, T("2026-11-20T18:00:00Z"), {"B"})) << "in the global view C is an F1 of case B";
}

}  // namespace
}  // namespace ctrace
