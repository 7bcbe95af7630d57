// The broker goes away in the middle of a stream and comes back: `ctrace serve` reconnects by
// itself, /readyz answers 503 during the outage and 200 after, and nothing is lost; the alerts
// topic ends up holding every alert exactly once. It stops and starts the shared broker
// (scripts/kafka.sh), so ctest runs it alone (RUN_SERIAL).
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/kafka_alerts_check.h"
#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/kafka_support.h"
#include "tests/support/reference_model.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/town_generator.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

constexpr const char* kClock = "fixed:2026-11-27T00:00:00Z";

// Polls GET /readyz until it answers `want`.
bool WaitReady(HttpClient& client, int want, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.Get("/readyz").status == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST(KafkaBrokerRestartTest, ServiceRidesOutABrokerRestart) {
  if (KafkaBrokers().empty()) GTEST_SKIP() << "CTRACE_KAFKA_BROKERS is not set (scripts/test.sh starts a broker)";
  const std::string script = CTRACE_KAFKA_SCRIPT;
  TownOptions options;
  options.seed = 5;
  options.people = 400;
  const Town town = GenerateTown(options);
  ReferenceModel reference(ReferenceParams{}, options.now);
  const RefIngestOutcome outcome = reference.Ingest(town.lines);

  const std::string prefix = UniqueTopicPrefix("restart");
  {
    const Status topics = CreateKafkaTopics(prefix, 6);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();

  long long accepted = 0;
  std::string failure;
  std::atomic<bool> posted_all{false};
  std::thread poster([&] {
    HttpClientOptions client_options;
    client_options.timeout = std::chrono::minutes(3);
    HttpClient client("127.0.0.1", serve.port(), client_options);
    for (size_t at = 0; at < town.lines.size(); at += 100) {
      const std::vector<std::string> batch(town.lines.begin() + static_cast<std::ptrdiff_t>(at),
                                           town.lines.begin() + static_cast<std::ptrdiff_t>(std::min(at + 100, town.lines.size())));
      json answer;
      const Status posted = PostNdjson(client, batch, /*wait_applied=*/false, &answer);
      if (!posted.ok()) {
        failure = "batch at line " + std::to_string(at) + ": " + posted.message();
        return;
      }
      accepted += answer.value("accepted", 0LL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    posted_all = true;
  });

  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto stopped = RunCommand({script, "stop"}, "", std::chrono::minutes(2));
  EXPECT_TRUE(stopped.exited_ok()) << stopped.output;
  EXPECT_TRUE(WaitReady(serve.client(), 503, std::chrono::seconds(30))) << "/readyz never said 503 during the outage";
  EXPECT_FALSE(posted_all.load()) << "the stream ended before the outage: it tests nothing";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto restarted = RunCommand({script, "start"}, "", std::chrono::minutes(3));
  ASSERT_TRUE(restarted.exited_ok()) << restarted.output;
  EXPECT_TRUE(WaitReady(serve.client(), 200, std::chrono::seconds(120))) << "/readyz did not come back\n"
                                                                         << serve.LogTail();
  poster.join();
  ASSERT_EQ(failure, "") << serve.LogTail();
  EXPECT_EQ(accepted, outcome.accepted);

  json stats;
  const Status applied = WaitForStats(
      serve.client(),
      [&](const json& s) { return s.value("lag", 1LL) == 0 && AppliedEvents(s) == accepted; },
      std::chrono::minutes(2), &stats);
  ASSERT_TRUE(applied.ok()) << applied.message() << "\nlog:\n" << serve.LogTail();
  json dump;
  ASSERT_TRUE(DumpAnswers(serve.client(), {}, {}, 2, &dump).ok());
  for (int level = 1; level <= 2; ++level) {
    json got = dump["exposed"][std::to_string(level)];
    for (json& p : got) p = Pick(p, {"person", "exposed_at", "via"});
    EXPECT_EQ(JsonDiff(LevelJson(reference, level), got, "level " + std::to_string(level)), "");
  }
  json cases = dump["cases"];
  for (json& c : cases) {
    c = Pick(c, {"person", "sampled_at", "window", "linked_from"});
    c["window"] = Pick(c["window"], {"start", "end"});
  }
  EXPECT_EQ(JsonDiff(CasesJson(reference), cases, "cases"), "");
  // The alerts committed during the outage waited, and went out once the broker was back.
  uint64_t last_seq = 0;
  const Status produced = kafka_alerts::WaitProduced(serve, accepted, &last_seq);
  ASSERT_TRUE(produced.ok()) << produced.message();
  kafka_alerts::ExpectTopicEqualsAlerts(serve, prefix);
  EXPECT_TRUE(serve.Stop().ok());
}

}  // namespace
}  // namespace ctrace::test_support
