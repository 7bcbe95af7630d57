// The worked examples end to end: the real `ctrace serve` (embedded log, fixed clock) fed each
// examples/*.ndjson over HTTP must answer exactly what its expected.json says — in file order
// in one batch, in shuffled orders split into small batches, and as a JSON array body.
#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/rfc3339.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

constexpr const char* kClock = "fixed:2026-11-27T00:00:00Z";

class ExamplesE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string base = TestDataDir() + "/examples/" + GetParam();
    lines_ = ReadLines(base + ".ndjson");
    expected_ = ReadJsonFile(base + ".expected.json");
    now_ = *ParseRfc3339(expected_.at("now").get<std::string>());
    ASSERT_EQ("fixed:" + expected_.at("now").get<std::string>(), kClock);
    for (const std::string& line : lines_) {
      const json ev = json::parse(line, nullptr, false);
      if (ev.is_object() && ev.contains("venue") && ev["venue"].is_string()) {
        venues_.insert(ev["venue"].get<std::string>());
      }
    }
  }

  // Every difference between the service's answers and expected.json's derived fields
  // (levels, cases, clusters, chains, visits), one "query: difference" per line.
  std::string CompareDerived(HttpClient& client) {
    std::string diffs;
    auto add = [&diffs](const std::string& what, const std::string& diff) {
      if (!diff.empty()) diffs += what + ":\n" + diff;
    };
    for (const auto& [level, want] : expected_.at("levels").items()) {
      json got;
      const std::string base = "/v1/exposed?level=" + level + "&";
      if (Status s = GetAllPages(client, base, "persons", 100, &got); !s.ok()) {
        add(base, s.message() + "\n");
        continue;
      }
      for (json& p : got) p = Pick(p, {"person", "exposed_at", "via"});
      add("GET /v1/exposed?level=" + level, JsonDiff(want, got, "persons"));
    }
    json cases;
    if (Status s = GetAllPages(client, "/v1/cases?", "cases", 100, &cases); !s.ok()) {
      add("GET /v1/cases", s.message() + "\n");
    } else {
      for (json& c : cases) {
        c = Pick(c, {"person", "sampled_at", "window", "linked_from"});
        if (c.contains("window")) c["window"] = Pick(c["window"], {"start", "end"});
      }
      add("GET /v1/cases", JsonDiff(expected_.at("cases"), cases, "cases"));
    }
    json clusters;
    if (Status s = GetJson(client, "/v1/clusters", &clusters); !s.ok()) {
      add("GET /v1/clusters", s.message() + "\n");
    } else {
      json got = clusters.value("clusters", json());
      if (got.is_array()) {
        for (json& c : got) c = Pick(c, {"id", "cases"});
      }
      add("GET /v1/clusters", JsonDiff(expected_.at("clusters"), got, "clusters"));
    }
    for (const auto& [person, want] : expected_.at("chains").items()) {
      const std::string target = "/v1/cases/" + UrlEncode(person) + "/chain";
      json chain;
      if (Status s = GetJson(client, target, &chain); !s.ok()) {
        add("GET " + target, s.message() + "\n");
        continue;
      }
      add("GET " + target, JsonDiff(json(person), chain.value("root", json()), "root"));
      json nodes = chain.value("nodes", json());
      if (!nodes.is_array()) {
        add("GET " + target, "nodes: not an array: " + chain.dump() + "\n");
        continue;
      }
      for (json& n : nodes) n = Pick(n, {"person", "level", "exposed_at"});
      json sorted = nodes;
      std::sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
        return a.value("person", "") < b.value("person", "");
      });
      const std::string as_set = JsonDiff(want, sorted, "nodes");
      add("GET " + target + " (nodes sorted by person)", as_set);
      if (as_set.empty()) {
        add("GET " + target + " (node order: expected.json lists nodes by person id)",
            JsonDiff(want, nodes, "nodes"));
      }
    }
    if (!expected_.at("chains").contains("A")) {
      if (Status s = ExpectStatus(client, "/v1/cases/A/chain", 404); !s.ok()) {
        add("chain of A (not a case)", s.message() + "\n");
      }
    }
    size_t visits = 0;
    const std::string from = UrlEncode(FormatRfc3339(now_ - 60 * kMsDay));
    const std::string to = UrlEncode(FormatRfc3339(now_ + kMsDay));
    for (const std::string& venue : venues_) {
      const std::string base =
          "/v1/venues/" + UrlEncode(venue) + "/visits?from=" + from + "&to=" + to + "&";
      json got;
      if (Status s = GetAllPages(client, base, "visits", 100, &got); !s.ok()) {
        add(base, s.message() + "\n");
        continue;
      }
      visits += got.size();
    }
    add("visits over all venues", JsonDiff(expected_.at("visits"), json(visits), "count"));
    return diffs;
  }

  // expected.json's rejected entries, keyed by the 1-based line in the file.
  std::map<int, std::string> ExpectedRejections() const {
    std::map<int, std::string> out;
    for (const json& r : expected_.at("rejected")) {
      out[r.at("line").get<int>()] = r.at("reason").get<std::string>();
    }
    return out;
  }

  std::vector<std::string> lines_;
  json expected_;
  Millis now_ = 0;
  std::set<std::string> venues_;
};

TEST_P(ExamplesE2eTest, InFileOrderInOneBatch) {
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  json answer;
  const Status posted = PostNdjson(serve.client(), lines_, /*wait_applied=*/true, &answer);
  ASSERT_TRUE(posted.ok()) << posted.message() << "\nlog:\n" << serve.LogTail();
  EXPECT_EQ(JsonDiff(Pick(expected_, {"accepted", "duplicates", "rejected"}), PickIngest(answer),
                     "ingest"),
            "")
      << "answer: " << answer.dump();
  EXPECT_EQ(CompareDerived(serve.client()), "");
  const Status stopped = serve.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped.message();
}

TEST_P(ExamplesE2eTest, ShuffledInSmallBatches) {
  const std::map<int, std::string> rejections = ExpectedRejections();
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("shuffle seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::vector<size_t> order(lines_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    TempDir data;
    ServeProcess serve({.data_dir = data.path().string(), .clock = kClock});
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    int accepted = 0, duplicates = 0;
    for (size_t pos = 0; pos < order.size();) {
      const size_t n = std::min(order.size() - pos,
                                std::uniform_int_distribution<size_t>(1, 5)(rng));
      std::vector<std::string> batch;
      json want_rejected = json::array();
      for (size_t i = 0; i < n; ++i) {
        const size_t file_line = order[pos + i] + 1;
        batch.push_back(lines_[order[pos + i]]);
        if (const auto r = rejections.find(static_cast<int>(file_line)); r != rejections.end()) {
          want_rejected.push_back({{"line", i + 1}, {"reason", r->second}});
        }
      }
      pos += n;
      json answer;
      const Status posted = PostNdjson(serve.client(), batch, pos == order.size(), &answer);
      ASSERT_TRUE(posted.ok()) << posted.message() << "\nlog:\n" << serve.LogTail();
      const json got = PickIngest(answer);
      EXPECT_EQ(JsonDiff(want_rejected, got.value("rejected", json()), "rejected"), "")
          << "batch ending at " << pos;
      accepted += got.value("accepted", 0);
      duplicates += got.value("duplicates", 0);
    }
    EXPECT_EQ(accepted, expected_.at("accepted").get<int>());
    EXPECT_EQ(duplicates, expected_.at("duplicates").get<int>());
    EXPECT_EQ(CompareDerived(serve.client()), "");
    const Status stopped = serve.Stop();
    EXPECT_TRUE(stopped.ok()) << stopped.message();
  }
}

TEST_P(ExamplesE2eTest, AsJsonArrayBody) {
  for (const std::string& line : lines_) {
    const json ev = json::parse(line, nullptr, false);
    if (!ev.is_object()) GTEST_SKIP() << "has lines that are not JSON objects";
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  json answer;
  const Status posted = PostJsonArray(serve.client(), lines_, /*wait_applied=*/true, &answer);
  ASSERT_TRUE(posted.ok()) << posted.message();
  EXPECT_EQ(JsonDiff(Pick(expected_, {"accepted", "duplicates", "rejected"}), PickIngest(answer),
                     "ingest"),
            "");
  EXPECT_EQ(CompareDerived(serve.client()), "");
  const Status stopped = serve.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped.message();
}

INSTANTIATE_TEST_SUITE_P(Examples, ExamplesE2eTest, ::testing::ValuesIn(ExampleNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace ctrace::test_support
