// Holds the reference model (tests/support) to the worked examples of the contract, before it
// is used to judge the engine: every field of each examples/*.expected.json.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/reference_model.h"
#include "tests/support/rfc3339.h"
#include "tests/support/test_data.h"
#include "tests/support/town_generator.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

// --- RFC 3339 --------------------------------------------------------------------------------

TEST(Rfc3339Test, ParsesZoneOffsetsAndFractions) {
  const Millis t = UtcMillis(2026, 11, 20, 8, 15);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00Z"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-20T15:15:00+07:00"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-20T02:45:00-05:30"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-20t08:15:00z"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.5Z"), t + 500);
  EXPECT_EQ(ParseRfc3339("2026-11-20T08:15:00.123999999Z"), t + 123);
  EXPECT_EQ(ParseRfc3339("2026-11-21T00:00:00.25+00:00"), UtcMillis(2026, 11, 21) + 250);
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), UtcMillis(2024, 2, 29));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
}

TEST(Rfc3339Test, RejectsWhatEventsMdRejects) {
  for (const char* bad :
       {"2026-11-20 08:00", "2026-11-20T08:00:00", "2026-11-20T08:00Z", "2026-02-30T08:00:00Z",
        "2025-02-29T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T08:60:00Z",
        "2026-11-20T08:00:60Z", "2026-13-01T00:00:00Z", "2026-11-20T08:00:00.Z",
        "2026-11-20T08:00:00+7:00", "2026-11-20T08:00:00+07", "2026-11-20T08:00:00+24:00",
        "2026-11-20T08:00:00Zjunk", " 2026-11-20T08:00:00Z", "", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339Test, FormatsUtcWithMillisOnlyWhenNonZero) {
  const Millis t = UtcMillis(2026, 11, 20, 8, 30);
  EXPECT_EQ(FormatRfc3339(t), "2026-11-20T08:30:00Z");
  EXPECT_EQ(FormatRfc3339(t + 250), "2026-11-20T08:30:00.250Z");
  EXPECT_EQ(FormatRfc3339(t + 1), "2026-11-20T08:30:00.001Z");
  EXPECT_EQ(FormatWithOffset(t, 7 * 60), "2026-11-20T15:30:00+07:00");
  EXPECT_EQ(FormatWithOffset(t + 250, -330, 6, "999"), "2026-11-20T03:00:00.250999-05:30");
  EXPECT_EQ(FormatWithOffset(t + 200, 0, 1), "2026-11-20T08:30:00.2Z");
  EXPECT_EQ(FormatWithOffset(t + 250, 0, 1), "2026-11-20T08:30:00.25Z");  // never loses ms
  for (const Millis u : {t, t + 7, t + 999, t - 1}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(u)), u);
    EXPECT_EQ(ParseRfc3339(FormatWithOffset(u, 345, 9, "123456")), u);
  }
}

// --- the worked examples -----------------------------------------------------------------

class ExampleTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string base = TestDataDir() + "/examples/" + GetParam();
    lines_ = ReadLines(base + ".ndjson");
    expected_ = ReadJsonFile(base + ".expected.json");
    now_ = *ParseRfc3339(expected_.at("now").get<std::string>());
  }

  std::vector<std::string> lines_;
  json expected_;
  Millis now_ = 0;
};

// What the expected file says about derived state, from a model.
json DerivedJson(ReferenceModel& model, const json& expected) {
  json out;
  for (const auto& [level, unused] : expected.at("levels").items()) {
    out["levels"][level] = LevelJson(model, std::stoi(level));
  }
  out["cases"] = CasesJson(model);
  out["clusters"] = ClustersJson(model);
  out["chains"] = json::object();
  for (const auto& [person, unused] : expected.at("chains").items()) {
    out["chains"][person] = ChainJson(model, person, model.params().max_depth, false);
  }
  out["visits"] = model.Visits().size();
  return out;
}

json ExpectedDerived(const json& expected) {
  json out;
  for (const char* field : {"levels", "cases", "clusters", "chains", "visits"}) {
    out[field] = expected.at(field);
  }
  return out;
}

TEST_P(ExampleTest, ReferenceGivesTheExpectedAnswers) {
  ReferenceModel model(ReferenceParams{}, now_);
  const RefIngestOutcome outcome = model.Ingest(lines_);
  EXPECT_EQ(JsonDiff(Pick(expected_, {"accepted", "duplicates", "rejected"}), IngestJson(outcome),
                     "ingest"),
            "");
  EXPECT_EQ(JsonDiff(ExpectedDerived(expected_), DerivedJson(model, expected_)), "");
  if (!expected_.at("chains").contains("A")) {
    EXPECT_FALSE(model.Chain("A", 2).has_value()) << "A is not a case: no chain";
  }
}

TEST_P(ExampleTest, ReferenceIsOrderAndBatchIndependent) {
  std::multiset<std::string> reasons;
  for (const auto& r : expected_.at("rejected")) reasons.insert(r.at("reason").get<std::string>());
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> lines = lines_;
    std::shuffle(lines.begin(), lines.end(), rng);
    ReferenceModel model(ReferenceParams{}, now_);
    int accepted = 0, duplicates = 0;
    std::multiset<std::string> got_reasons;
    for (size_t pos = 0; pos < lines.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 4)(rng);
      const std::vector<std::string> batch(
          lines.begin() + static_cast<std::ptrdiff_t>(pos),
          lines.begin() + static_cast<std::ptrdiff_t>(std::min(lines.size(), pos + n)));
      pos += batch.size();
      const RefIngestOutcome o = model.Ingest(batch);
      accepted += o.accepted;
      duplicates += o.duplicates;
      for (const auto& r : o.rejected) got_reasons.insert(r.reason);
    }
    EXPECT_EQ(accepted, expected_.at("accepted").get<int>()) << "seed " << seed;
    EXPECT_EQ(duplicates, expected_.at("duplicates").get<int>()) << "seed " << seed;
    EXPECT_EQ(got_reasons, reasons) << "seed " << seed;
    EXPECT_EQ(JsonDiff(ExpectedDerived(expected_), DerivedJson(model, expected_)), "")
        << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleTest, ::testing::ValuesIn(ExampleNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ExamplesPresentTest, AllFiveExamplesAreFound) { EXPECT_EQ(ExampleNames().size(), 5u); }

// --- focused checks of §1 and §2 that the examples do not pin down -------------------------

std::string Ev(const std::string& type, const std::string& id, const std::string& person,
               const std::string& rest) {
  return R"({"type":")" + type + R"(","id":")" + id + R"(","person":")" + person + "\"," + rest +
         "}";
}

TEST(ReferenceVisitsTest, SameInstantCheckinsOrderedById) {
  // "ev10" < "ev9" in byte order: the ev10 check-in comes first and is cut to zero length.
  ReferenceModel model(ReferenceParams{}, UtcMillis(2026, 11, 27));
  (void)model.Ingest({Ev("checkin", "ev9", "P", R"("venue":"A","ts":"2026-11-20T08:00:00Z")"),
                      Ev("checkin", "ev10", "P", R"("venue":"B","ts":"2026-11-20T08:00:00Z")")});
  ASSERT_EQ(model.Visits().size(), 1u);
  EXPECT_EQ(model.Visits()[0].venue, "A");
  EXPECT_EQ(model.Visits()[0].end, UtcMillis(2026, 11, 20, 9));
}

TEST(ReferenceVisitsTest, CheckoutAtExactlyMaxStayMatchesAndBeyondDoesNot) {
  ReferenceModel model(ReferenceParams{}, UtcMillis(2026, 11, 27));
  (void)model.Ingest({Ev("checkin", "a", "P", R"("venue":"A","ts":"2026-11-20T08:00:00Z")"),
                      Ev("checkout", "b", "P", R"("venue":"A","ts":"2026-11-20T20:00:00Z")"),
                      Ev("checkin", "c", "Q", R"("venue":"A","ts":"2026-11-20T08:00:00Z")"),
                      Ev("checkout", "d", "Q", R"("venue":"A","ts":"2026-11-20T20:00:00.001Z")")});
  const auto& v = model.Visits();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].end, UtcMillis(2026, 11, 20, 20));
  EXPECT_TRUE(v[0].checked_out);
  EXPECT_EQ(v[1].end, UtcMillis(2026, 11, 20, 9));
  EXPECT_FALSE(v[1].checked_out);
}

TEST(ReferenceCasesTest, IndexTestTieBrokenByIdAndOnsetLookbackInclusive) {
  ReferenceModel model(ReferenceParams{}, UtcMillis(2026, 11, 27));
  (void)model.Ingest(
      {Ev("test_result", "t2", "P",
          R"("sampled_at":"2026-11-22T10:00:00Z","resulted_at":"2026-11-22T12:00:00Z","result":"positive")"),
       Ev("test_result", "t1", "P",
          R"("sampled_at":"2026-11-22T10:00:00Z","resulted_at":"2026-11-23T12:00:00Z","result":"positive")"),
       Ev("declaration", "d1", "P", R"("ts":"2026-11-22T09:00:00Z","onset":"2026-11-08T10:00:00Z")"),
       Ev("declaration", "d2", "P", R"("ts":"2026-11-22T09:00:00Z","onset":"2026-11-08T09:59:59Z")")});
  const RefCase* c = model.FindCase("P");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->window.end, UtcMillis(2026, 11, 23, 12));  // t1's resulted_at
  EXPECT_EQ(c->onset, UtcMillis(2026, 11, 8, 10));        // exactly s - 14 d counts
  EXPECT_EQ(c->window.start, UtcMillis(2026, 11, 6, 10));
}

// --- the town generator -------------------------------------------------------------------

TEST(TownGeneratorTest, IsDeterministic) {
  TownOptions o;
  o.seed = 7;
  EXPECT_EQ(GenerateTown(o).lines, GenerateTown(o).lines);
  TownOptions other = o;
  other.seed = 8;
  EXPECT_NE(GenerateTown(o).lines, GenerateTown(other).lines);
}

// The randomized end-to-end test would prove little if its towns had no F1, no F2 and no
// case links, or none of the awkward inputs: check they do, for the seeds it uses and more.
TEST(TownGeneratorTest, TownsAreNotVacuous) {
  for (uint64_t seed : {11u, 23u, 47u, 101u, 202u}) {
    TownOptions o;
    o.seed = seed;
    const Town town = GenerateTown(o);
    ReferenceModel model(ReferenceParams{}, o.now);
    const RefIngestOutcome outcome = model.Ingest(town.lines);
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_GE(town.lines.size(), 2000u);
    EXPECT_GT(outcome.duplicates, 10);
    std::set<std::string> reasons;
    for (const auto& r : outcome.rejected) reasons.insert(r.reason);
    for (const char* want :
         {"malformed_json", "too_large", "unknown_type", "missing_field:person", "missing_field:id",
          "bad_field:person", "bad_field:id", "bad_time:ts", "too_old", "in_future",
          "inconsistent", "bad_field:result"}) {
      EXPECT_EQ(reasons.count(want), 1u) << want;
    }
    EXPECT_GE(model.Cases().size(), 5u);
    size_t links = 0;
    for (const RefCase& c : model.Cases()) links += c.linked_from.size();
    EXPECT_GE(links, 1u);
    EXPECT_GE(model.Clusters().size(), 1u);
    const size_t l1 = model.AtLevel(1).size(), l2 = model.AtLevel(2).size();
    EXPECT_GE(l1, 5u);
    EXPECT_GE(l2, 5u);
    EXPECT_LT(10 * (l1 + l2 + model.Cases().size()), 9 * model.Persons().size())
        << "nearly everyone exposed: the town is too dense to tell levels apart";
    size_t open = 0, closed = 0;
    for (const RefVisit& v : model.Visits()) (v.checked_out ? closed : open) += 1;
    EXPECT_GT(open, 100u);
    EXPECT_GT(closed, 100u);
    size_t with_onset = 0;
    for (const RefCase& c : model.Cases()) with_onset += c.onset.has_value() ? 1 : 0;
    EXPECT_GE(with_onset, 1u);
    std::printf("seed %llu: %zu lines, %d accepted, %d duplicates, %zu rejected, %zu visits, "
                "%zu cases, %zu links, %zu clusters, L1 %zu, L2 %zu, persons %zu\n",
                static_cast<unsigned long long>(seed), town.lines.size(), outcome.accepted,
                outcome.duplicates, outcome.rejected.size(), model.Visits().size(),
                model.Cases().size(), links, model.Clusters().size(), l1, l2,
                model.Persons().size());
  }
}

TEST(TownGeneratorTest, ReferenceHandlesFiveThousandEventsQuickly) {
  TownOptions o;
  o.seed = 5;
  o.people = 400;
  const Town town = GenerateTown(o);
  ASSERT_GE(town.lines.size(), 5000u);
  const auto start = std::chrono::steady_clock::now();
  ReferenceModel model(ReferenceParams{}, o.now);
  (void)model.Ingest(town.lines);
  for (int k = 1; k <= 2; ++k) (void)model.AtLevel(k);
  for (const RefCase& c : model.Cases()) (void)model.Chain(c.person, 2);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

}  // namespace
}  // namespace ctrace::test_support
