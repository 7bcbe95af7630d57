// The alert changelog end to end (tracing.md §9, api.md "Alerts") against the real `ctrace
// serve`: a random town is fed in shuffled batches, with part of the check-outs held back to the
// end (late check-outs that shorten visits and retract exposures). Then the whole changelog,
// read through GET /v1/alerts from 0 and through the WebSocket stream (followed live from before
// the first event by a client that behaves like a dashboard: it reconnects with since=<last seq>
// whenever the stream ends), is replayed into an empty view, which must equal the current
// GET /v1/exposed, /v1/cases and /v1/clusters exactly.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/town_generator.h"
#include "tests/support/ws_client.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 2;  // the service's default

// The view the alerts describe, built only from them.
struct ReplayedView {
  std::map<std::string, json> levels;     // person -> {"level", "exposed_at", "via"} (level >= 1)
  std::map<std::string, std::string> cases;  // person -> sampled_at
  std::map<std::string, json> clusters;   // id -> cases

  // Applies one alert; an error for an alert of an unknown shape.
  Status Apply(const json& alert) {
    const std::string type = alert.value("type", "");
    if (type == "case.new") {
      const std::string person = alert.at("person").get<std::string>();
      levels.erase(person);  // level 0
      cases[person] = alert.at("sampled_at").get<std::string>();
    } else if (type == "exposure.new" || type == "exposure.changed") {
      const std::string person = alert.at("person").get<std::string>();
      cases.erase(person);
      levels[person] = json{{"level", alert.at("level")},
                            {"exposed_at", alert.at("exposed_at")},
                            {"via", alert.at("via")}};
    } else if (type == "exposure.retracted") {
      const std::string person = alert.at("person").get<std::string>();
      levels.erase(person);
      cases.erase(person);
    } else if (type == "cluster.changed") {
      clusters[alert.at("id").get<std::string>()] = alert.at("cases");
    } else if (type == "cluster.dissolved") {
      clusters.erase(alert.at("id").get<std::string>());
    } else if (type == "venue.hotspot") {
      // Not part of the levels, cases and clusters view.
    } else {
      return Status::Error("unknown alert: " + alert.dump());
    }
    return Status::Ok();
  }

  // GET /v1/exposed?level=K persons: {"person", "exposed_at", "via"} ordered by person.
  json Level(int k) const {
    json out = json::array();
    for (const auto& [person, e] : levels) {
      if (e.at("level") == k) out.push_back({{"person", person}, {"exposed_at", e.at("exposed_at")}, {"via", e.at("via")}});
    }
    return out;
  }
  json Cases() const {
    json out = json::array();
    for (const auto& [person, sampled_at] : cases) out.push_back({{"person", person}, {"sampled_at", sampled_at}});
    return out;
  }
  json Clusters() const {
    json out = json::array();
    for (const auto& [id, members] : clusters) out.push_back({{"id", id}, {"cases", members}});
    return out;
  }
};

// A dashboard on GET /v1/alerts/stream: follows the stream on a thread of its own from since=0
// and, whenever the stream ends (closed with 1008 because it fell behind, a read that waited
// too long, a reset, a failed connect), reconnects with since=<the last seq it received>. It
// also drops its connection by itself after a random number of frames (a network blip), so
// that resuming is exercised on every run. What it received, in order, must be the changelog
// exactly, however often it reconnected.
class Dashboard {
 public:
  Dashboard(uint16_t port, uint64_t seed) : port_(port), rng_(seed) {}
  ~Dashboard() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  // Waits up to `timeout` until the alert `seq` arrived; false if it did not.
  bool WaitFor(uint64_t seq, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return last_ >= seq; });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  // After Stop.
  const std::vector<std::string>& frames() const { return frames_; }
  int reconnects() const { return reconnects_; }
  // Why each connection ended, e.g. "closed 1008" or "read: timeout", counted.
  const std::map<std::string, int>& endings() const { return endings_; }

 private:
  void Run() {
    bool first = true;
    while (!stop_) {
      if (!first) ++reconnects_;
      first = false;
      uint64_t since = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        since = last_;
      }
      WsClient ws;
      const Status connected = ws.Connect("127.0.0.1", port_, "/v1/alerts/stream?since=" + std::to_string(since),
                                          "ctrace-test-token", std::chrono::seconds(30));
      if (!connected.ok()) {
        ++endings_["connect failed"];
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a client's back-off
        continue;
      }
      // This connection drops after 20..120 frames.
      int frames_left = std::uniform_int_distribution<int>(20, 120)(rng_);
      while (!stop_) {
        if (frames_left-- == 0) {
          ++endings_["dropped by the client"];
          (void)ws.Close(std::chrono::seconds(2));
          break;
        }
        std::string text;
        // A stream can be quiet for long between batches: a timeout means "reconnect", as a
        // dashboard that saw nothing for a while would.
        const Status read = ws.Read(&text, std::chrono::seconds(5));
        if (!read.ok()) {
          ++endings_[ws.closed() ? "closed " + std::to_string(ws.close_code()) : read.message()];
          break;
        }
        const json alert = json::parse(text, nullptr, false);
        const uint64_t seq = alert.is_object() && alert.contains("seq") ? alert["seq"].get<uint64_t>() : 0;
        std::lock_guard<std::mutex> lock(mu_);
        frames_.push_back(std::move(text));
        last_ = std::max(last_, seq);
        cv_.notify_all();
      }
    }
  }

  const uint16_t port_;
  std::mt19937_64 rng_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t last_ = 0;
  std::vector<std::string> frames_;
  int reconnects_ = 0;
  std::map<std::string, int> endings_;
};

// Every alert after `since`, through GET /v1/alerts in pages of `limit`.
Status ReadAllAlerts(HttpClient& client, uint64_t since, int limit, json* alerts) {
  *alerts = json::array();
  for (int page = 0; page < 100000; ++page) {
    json answer;
    const std::string target = "/v1/alerts?since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
    if (Status s = GetJson(client, target, &answer); !s.ok()) return s;
    if (!answer.contains("alerts") || !answer.contains("next_seq")) return Status::Error(target + ": " + answer.dump());
    const json& list = answer["alerts"];
    if (list.size() > static_cast<size_t>(limit)) return Status::Error(target + ": page over the limit");
    if (list.empty()) {
      if (answer["next_seq"] != since) return Status::Error(target + ": next_seq moved on an empty page");
      return Status::Ok();
    }
    for (const json& alert : list) {
      if (alert.at("seq").get<uint64_t>() <= since) return Status::Error(target + ": seq not increasing: " + alert.dump());
      since = alert.at("seq").get<uint64_t>();
      alerts->push_back(alert);
    }
    if (answer["next_seq"] != since) return Status::Error(target + ": next_seq is not the last seq");
  }
  return Status::Error("paging did not end");
}

class AlertsE2eTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(AlertsE2eTest, ReplayingTheChangelogReproducesLevelsCasesAndClusters) {
  const uint64_t seed = GetParam();
  TownOptions options;
  options.seed = seed;
  const Town town = GenerateTown(options);

  // Shuffle; hold back half of the check-outs to the end, so that visits first run to their
  // max_stay (or to the next check-in) and are shortened later: exposures they made retract.
  std::mt19937_64 rng(seed * 7919 + 1);
  std::vector<std::string> lines = town.lines;
  std::shuffle(lines.begin(), lines.end(), rng);
  std::vector<std::string> early, late;
  for (const std::string& line : lines) {
    const bool checkout = line.find("\"checkout\"") != std::string::npos;
    (checkout && rng() % 2 == 0 ? late : early).push_back(line);
  }
  early.insert(early.end(), late.begin(), late.end());
  std::vector<std::vector<std::string>> batches;
  for (size_t pos = 0; pos < early.size();) {
    const size_t n = std::min(early.size() - pos, std::uniform_int_distribution<size_t>(1, 400)(rng));
    batches.emplace_back(early.begin() + static_cast<std::ptrdiff_t>(pos),
                         early.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }

  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = "fixed:" + FormatRfc3339(options.now)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();

  // The live stream, from before the first event.
  Dashboard dashboard(serve.port(), seed);
  dashboard.Start();

  for (size_t b = 0; b < batches.size(); ++b) {
    json answer;
    // Each batch applied before the next is sent: otherwise the apply loop may take several
    // batches in one transaction, and a late check-out would then retract nothing to alert on.
    const Status posted = PostNdjson(serve.client(), batches[b], /*wait_applied=*/true, &answer);
    ASSERT_TRUE(posted.ok()) << "batch " << b << ": " << posted.message() << "\n" << serve.LogTail();
  }

  json alerts;
  const Status read = ReadAllAlerts(serve.client(), 0, 97, &alerts);
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_FALSE(alerts.empty());
  std::map<std::string, int> by_type;
  for (const json& alert : alerts) ++by_type[alert.at("type").get<std::string>()];
  EXPECT_GE(by_type["case.new"], 1);
  EXPECT_GE(by_type["exposure.new"], 1);
  EXPECT_GE(by_type["exposure.retracted"], 1) << "no retraction: the late check-outs prove nothing";
  EXPECT_GE(by_type["cluster.changed"], 1);
  // seq strictly increasing by one (nothing has expired: the clock is fixed).
  for (size_t i = 0; i < alerts.size(); ++i) ASSERT_EQ(alerts[i].at("seq").get<uint64_t>(), i + 1);

  ReplayedView view;
  for (const json& alert : alerts) ASSERT_TRUE(view.Apply(alert).ok());
  for (int k = 1; k <= kMaxDepth; ++k) {
    json got;
    const std::string base = "/v1/exposed?level=" + std::to_string(k) + "&";
    ASSERT_TRUE(GetAllPages(serve.client(), base, "persons", 500, &got).ok());
    EXPECT_EQ(JsonDiff(view.Level(k), got, "persons"), "") << "level " << k;
  }
  json cases;
  ASSERT_TRUE(GetAllPages(serve.client(), "/v1/cases?", "cases", 500, &cases).ok());
  for (json& c : cases) c = Pick(c, {"person", "sampled_at"});
  EXPECT_EQ(JsonDiff(view.Cases(), cases, "cases"), "");
  json clusters;
  ASSERT_TRUE(GetJson(serve.client(), "/v1/clusters", &clusters).ok());
  for (json& c : clusters["clusters"]) c = Pick(c, {"id", "cases"});
  EXPECT_EQ(JsonDiff(view.Clusters(), clusters["clusters"], "clusters"), "");

  // A stream resumed in the middle gets exactly the tail, from the backlog.
  const uint64_t middle = alerts.size() / 2;
  WsClient resumed;
  ASSERT_TRUE(resumed.Connect("127.0.0.1", serve.port(), "/v1/alerts/stream?since=" + std::to_string(middle)).ok());
  for (size_t i = middle; i < alerts.size(); ++i) {
    std::string text;
    const Status s = resumed.Read(&text);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(json::parse(text), alerts[i]);
  }
  EXPECT_TRUE(resumed.Close().ok());

  // The dashboard catches up with the last alert (generous: a loaded 2-core machine may starve
  // it for a while, and then it reconnects).
  const uint64_t final_seq = alerts.back().at("seq").get<uint64_t>();
  EXPECT_TRUE(dashboard.WaitFor(final_seq, std::chrono::minutes(3))) << "the live stream never reached " << final_seq;
  dashboard.Stop();
  EXPECT_TRUE(serve.Stop().ok());

  // What it received, over all its connections, is the changelog exactly: no gap, no duplicate,
  // in order, the same JSON.
  std::string endings;
  for (const auto& [why, n] : dashboard.endings()) endings += " [" + why + "] x" + std::to_string(n);
  std::printf("live stream: %zu frames, %d reconnects;%s\n", dashboard.frames().size(), dashboard.reconnects(),
              endings.c_str());
  ASSERT_EQ(dashboard.frames().size(), alerts.size()) << "reconnects: " << dashboard.reconnects() << endings;
  ReplayedView streamed;
  for (size_t i = 0; i < alerts.size(); ++i) {
    const json frame = json::parse(dashboard.frames()[i], nullptr, false);
    ASSERT_EQ(frame, alerts[i]) << "frame " << i;
    ASSERT_TRUE(streamed.Apply(frame).ok());
  }
  for (int k = 1; k <= kMaxDepth; ++k) {
    EXPECT_EQ(JsonDiff(streamed.Level(k), view.Level(k), "persons"), "") << "level " << k;
  }
  EXPECT_EQ(JsonDiff(streamed.Cases(), view.Cases(), "cases"), "");
  EXPECT_EQ(JsonDiff(streamed.Clusters(), view.Clusters(), "clusters"), "");
}

INSTANTIATE_TEST_SUITE_P(Seeds, AlertsE2eTest, ::testing::Values(101, 202, 303));

}  // namespace
}  // namespace ctrace::test_support
