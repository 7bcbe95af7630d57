// Alerts on the Kafka alerts topic (api.md "Alerts", docs/kafka.md "Alerts") through a real
// broker ($CTRACE_KAFKA_BROKERS; skips without it): a Kafka-mode `ctrace serve` is fed the
// worked examples, and a random town in batches while it is killed with SIGKILL and restarted.
// A real consumer (librdkafka, assigning every partition from the start) then reads
// PREFIX.alerts, which must hold exactly the alerts of GET /v1/alerts from 0: the same seqs, the
// same JSON (byte for byte the WebSocket frames), each once, in seq order within each partition
// (so per key), keyed by person, venue or cluster id.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/kafka_alerts_check.h"
#include "tests/support/kafka_support.h"
#include "tests/support/reference_model.h"
#include "tests/support/rfc3339.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "tests/support/town_generator.h"
#include "tests/support/ws_client.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;
using namespace kafka_alerts;

constexpr int kPartitions = 6;

#define SKIP_WITHOUT_KAFKA()                                                                        \
  if (KafkaBrokers().empty())                                                                       \
  GTEST_SKIP() << "CTRACE_KAFKA_BROKERS is not set: run `scripts/kafka.sh start` and export "      \
                  "CTRACE_KAFKA_BROKERS=127.0.0.1:19092 (scripts/test.sh does both)"

class KafkaAlertsExamplesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { SKIP_WITHOUT_KAFKA(); }
};

TEST_P(KafkaAlertsExamplesTest, TheTopicHoldsExactlyTheAlerts) {
  const std::vector<std::string> lines = ReadLines(TestDataDir() + "/examples/" + GetParam() + ".ndjson");
  const std::string prefix = UniqueTopicPrefix("alerts-ex");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  // One event at a time, so that the alerts come in many rounds.
  for (const std::string& line : lines) {
    json answer;
    const Status posted = PostNdjson(serve.client(), {line}, /*wait_applied=*/true, &answer);
    ASSERT_TRUE(posted.ok()) << posted.message() << "\n" << serve.LogTail();
  }
  uint64_t last_seq = 0;
  const Status produced = WaitProduced(serve, -1, &last_seq);
  ASSERT_TRUE(produced.ok()) << produced.message();
  ExpectTopicEqualsAlerts(serve, prefix);
  EXPECT_EQ(Metric(serve.client(), "ctrace_alerts_produced_total"), static_cast<long long>(last_seq));
  EXPECT_EQ(Metric(serve.client(), "ctrace_alerts_produce_errors_total"), 0);
  // A clean stop and start: nothing new goes out.
  ASSERT_TRUE(serve.Stop().ok());
  ASSERT_TRUE(serve.Start().ok());
  ASSERT_TRUE(WaitProduced(serve, -1, &last_seq).ok());
  EXPECT_EQ(Metric(serve.client(), "ctrace_alerts_produced_total"), 0);
  ExpectTopicEqualsAlerts(serve, prefix);
  EXPECT_TRUE(serve.Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Examples, KafkaAlertsExamplesTest, ::testing::ValuesIn(ExampleNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A town in shuffled batches, posted without waiting, while the service is killed at moments
// that fall while alerts are committed, being produced, or acknowledged before the mark moved,
// and restarted each time.
TEST(KafkaAlertsCrashTest, NothingMissingNothingTwiceAcrossSigkills) {
  SKIP_WITHOUT_KAFKA();
  TownOptions options;
  options.seed = 505;
  options.people = 240;
  options.venues = 40;
  options.gatherings = 6;
  const Town town = GenerateTown(options);
  ReferenceModel reference(ReferenceParams{}, options.now);
  const long long accepted = reference.Ingest(town.lines).accepted;
  std::mt19937_64 rng(options.seed);
  std::vector<std::string> lines = town.lines;
  std::shuffle(lines.begin(), lines.end(), rng);
  // The last sixth goes in one burst at the end, with a kill right behind it.
  const size_t burst_from = lines.size() - lines.size() / 6;

  const std::string prefix = UniqueTopicPrefix("alerts-kill");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(),
                      .clock = "fixed:" + FormatRfc3339(options.now),
                      .extra_flags = KafkaServeFlags(prefix),
                      .ready_timeout = std::chrono::seconds(90)});
  ASSERT_TRUE(serve.Start().ok());

  int kills = 0;
  auto kill_and_restart = [&](int max_wait_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, max_wait_ms)(rng)));
    serve.Kill();
    ++kills;
    const Status restarted = serve.Start();
    ASSERT_TRUE(restarted.ok()) << "restart " << kills << ": " << restarted.message();
  };
  size_t pos = 0;
  for (int batch = 1; pos < burst_from; ++batch) {
    const size_t n = std::min(burst_from - pos, std::uniform_int_distribution<size_t>(20, 200)(rng));
    const std::vector<std::string> part(lines.begin() + static_cast<std::ptrdiff_t>(pos),
                                        lines.begin() + static_cast<std::ptrdiff_t>(pos + n));
    json answer;
    const Status posted = PostNdjson(serve.client(), part, /*wait_applied=*/false, &answer);
    ASSERT_TRUE(posted.ok()) << posted.message() << "\n" << serve.LogTail();
    pos += n;
    if (batch % 7 == 0) {
      kill_and_restart(600);
      if (HasFatalFailure()) return;
    }
  }
  {
    json answer;
    const std::vector<std::string> burst(lines.begin() + static_cast<std::ptrdiff_t>(burst_from), lines.end());
    ASSERT_TRUE(PostNdjson(serve.client(), burst, /*wait_applied=*/false, &answer).ok());
    kill_and_restart(300);
    if (HasFatalFailure()) return;
  }
  ASSERT_GE(kills, 3);
  uint64_t last_seq = 0;
  const Status produced = WaitProduced(serve, accepted, &last_seq);
  ASSERT_TRUE(produced.ok()) << produced.message();
  ASSERT_GT(last_seq, 100u) << "too few alerts to prove anything";
  // How often a kill fell between producing and moving the mark (informative: timing decides).
  long long found_on_topic = 0;
  const std::string log = serve.LogTail(64 << 20);
  for (size_t at = log.find("already_on_topic="); at != std::string::npos; at = log.find("already_on_topic=", at + 1)) {
    found_on_topic += std::atoll(log.c_str() + at + std::strlen("already_on_topic="));
  }
  std::printf("kills: %d, alerts: %llu, alerts found on the topic when resuming: %lld\n", kills,
              static_cast<unsigned long long>(last_seq), found_on_topic);
  ExpectTopicEqualsAlerts(serve, prefix);
  EXPECT_TRUE(serve.Stop().ok());
}

}  // namespace
}  // namespace ctrace::test_support
