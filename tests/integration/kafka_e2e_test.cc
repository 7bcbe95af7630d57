// The pipeline through a real Kafka broker ($CTRACE_KAFKA_BROKERS, started by scripts/test.sh):
// the worked examples produced by kcat as an outside client and by `ctrace ingest --kafka`,
// randomized towns against the reference model, and the retention rules at start-up. Every
// answer of the Kafka-mode service must equal the embedded-mode service's for the same events.
#include <librdkafka/rdkafka.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/kafka_support.h"
#include "tests/support/reference_model.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "tests/support/town_generator.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

constexpr const char* kClock = "fixed:2026-11-27T00:00:00Z";
constexpr int kPartitions = 6;

#define SKIP_WITHOUT_KAFKA()                                                                        \
  if (KafkaBrokers().empty())                                                                       \
  GTEST_SKIP() << "CTRACE_KAFKA_BROKERS is not set: run `scripts/kafka.sh start` and export "      \
                  "CTRACE_KAFKA_BROKERS=127.0.0.1:19092 (scripts/test.sh does both)"

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& line : lines) out << line << '\n';
}

// The embedded-mode answers for `lines` posted in one batch.
Status EmbeddedDump(const std::vector<std::string>& lines, const std::set<std::string>& persons,
                    const std::set<std::string>& venues, json* answer, json* dump) {
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock});
  if (Status s = serve.Start(); !s.ok()) return s;
  if (Status s = PostNdjson(serve.client(), lines, /*wait_applied=*/true, answer); !s.ok()) return s;
  if (Status s = DumpAnswers(serve.client(), persons, venues, 2, dump); !s.ok()) return s;
  return serve.Stop();
}

// Waits until a Kafka-mode service applied `messages` log positions and holds `applied` events.
Status WaitApplied(HttpClient& client, long long messages, long long applied, json* stats) {
  return WaitForStats(
      client,
      [&](const json& s) {
        return s.value("applied", 0LL) >= messages && s.value("lag", 1LL) == 0 && AppliedEvents(s) == applied;
      },
      std::chrono::seconds(90), stats);
}

long long CountDeadLetters(const std::string& prefix) {
  const auto result = RunCommand({"kcat", "-C", "-b", KafkaBrokers(), "-t", prefix + ".deadletter", "-e", "-q", "-f",
                                  "%h\n"});
  long long count = 0;
  for (char c : result.output) count += c == '\n';
  return count;
}

class KafkaExamplesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_KAFKA();
    const std::string base = TestDataDir() + "/examples/" + GetParam();
    lines_ = ReadLines(base + ".ndjson");
    expected_ = ReadJsonFile(base + ".expected.json");
    CollectIds(lines_, &persons_, &venues_);
    const Status baseline = EmbeddedDump(lines_, persons_, venues_, &embedded_answer_, &embedded_);
    ASSERT_TRUE(baseline.ok()) << baseline.message();
  }

  void ExpectSameAsEmbedded(HttpClient& client) {
    json dump;
    const Status dumped = DumpAnswers(client, persons_, venues_, 2, &dump);
    ASSERT_TRUE(dumped.ok()) << dumped.message();
    EXPECT_EQ(JsonDiff(embedded_, dump, "kafka vs embedded"), "");
    for (const auto& [level, want] : expected_.at("levels").items()) {
      json got = dump["exposed"][level];
      for (json& p : got) p = Pick(p, {"person", "exposed_at", "via"});
      EXPECT_EQ(JsonDiff(want, got, "level " + level), "");
    }
  }

  std::vector<std::string> lines_;
  json expected_;
  std::set<std::string> persons_, venues_;
  json embedded_answer_, embedded_;
};

TEST_P(KafkaExamplesTest, ProducedByKcat) {
  const std::string prefix = UniqueTopicPrefix("kcat");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  size_t messages = 0;
  const Status produced = KcatProduce(prefix, lines_, &messages);
  ASSERT_TRUE(produced.ok()) << produced.message();
  json stats;
  const Status applied = WaitApplied(serve.client(), static_cast<long long>(messages),
                                     expected_.at("accepted").get<long long>(), &stats);
  ASSERT_TRUE(applied.ok()) << applied.message() << "\nlog:\n" << serve.LogTail();
  ExpectSameAsEmbedded(serve.client());
  EXPECT_EQ(CountDeadLetters(prefix), static_cast<long long>(expected_.at("rejected").size()));
  EXPECT_TRUE(serve.Stop().ok());
}

TEST_P(KafkaExamplesTest, ProducedByCtraceIngestThenServed) {
  const std::string prefix = UniqueTopicPrefix("ingest");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir files;
  const std::string file = files.Sub("events.ndjson").string();
  WriteLines(file, lines_);
  IngestSummary summary;
  const Status ingested = CtraceIngestKafka(prefix, file, {"--clock", kClock}, &summary);
  ASSERT_TRUE(ingested.ok()) << ingested.message();
  EXPECT_EQ(summary.accepted, expected_.at("accepted").get<long long>());
  EXPECT_EQ(summary.duplicates, expected_.at("duplicates").get<long long>());
  EXPECT_EQ(summary.rejected, static_cast<long long>(expected_.at("rejected").size()));
  EXPECT_EQ(CountDeadLetters(prefix), static_cast<long long>(expected_.at("rejected").size()));

  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  json stats;
  const Status applied = WaitApplied(serve.client(), summary.accepted, summary.accepted, &stats);
  ASSERT_TRUE(applied.ok()) << applied.message() << "\nlog:\n" << serve.LogTail();
  ExpectSameAsEmbedded(serve.client());
  // HTTP ingest through Kafka answers like the embedded service: everything is a duplicate now.
  json answer;
  ASSERT_TRUE(PostNdjson(serve.client(), lines_, /*wait_applied=*/true, &answer).ok());
  EXPECT_EQ(answer.value("accepted", -1), 0) << answer.dump();
  EXPECT_EQ(answer.value("duplicates", -1), expected_.at("accepted").get<int>() + expected_.at("duplicates").get<int>())
      << answer.dump();
  EXPECT_TRUE(serve.Stop().ok());
}

TEST_P(KafkaExamplesTest, PostedOverHttpWithWaitApplied) {
  const std::string prefix = UniqueTopicPrefix("http");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  json answer;
  const Status posted = PostNdjson(serve.client(), lines_, /*wait_applied=*/true, &answer);
  ASSERT_TRUE(posted.ok()) << posted.message() << "\nlog:\n" << serve.LogTail();
  EXPECT_EQ(JsonDiff(PickIngest(embedded_answer_), PickIngest(answer), "ingest"), "");
  // wait=applied: the answers are there without waiting any further.
  ExpectSameAsEmbedded(serve.client());
  EXPECT_TRUE(serve.Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Examples, KafkaExamplesTest, ::testing::ValuesIn(ExampleNames()), [](const auto& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

class KafkaTownTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void SetUp() override { SKIP_WITHOUT_KAFKA(); }
};

TEST_P(KafkaTownTest, SameAsReferenceAndEmbedded) {
  TownOptions options;
  options.seed = GetParam();
  options.people = 300;
  options.venues = 40;
  const Town town = GenerateTown(options);
  ReferenceModel reference(ReferenceParams{}, options.now);
  const RefIngestOutcome outcome = reference.Ingest(town.lines);

  const std::string prefix = UniqueTopicPrefix("town");
  {
    const Status topics = CreateKafkaTopics(prefix, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir files;
  const std::string file = files.Sub("town.ndjson").string();
  WriteLines(file, town.lines);
  IngestSummary summary;
  const Status ingested = CtraceIngestKafka(prefix, file, {"--clock", kClock, "--batch-lines", "500"}, &summary);
  ASSERT_TRUE(ingested.ok()) << ingested.message();
  EXPECT_EQ(summary.accepted, outcome.accepted);
  EXPECT_EQ(summary.duplicates, outcome.duplicates);
  EXPECT_EQ(summary.rejected, static_cast<long long>(outcome.rejected.size()));

  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  json stats;
  const Status applied = WaitApplied(serve.client(), summary.accepted, summary.accepted, &stats);
  ASSERT_TRUE(applied.ok()) << applied.message() << "\nlog:\n" << serve.LogTail();

  std::set<std::string> persons(town.people.begin(), town.people.end());
  std::set<std::string> venues(town.venues.begin(), town.venues.end());
  json dump;
  const Status dumped = DumpAnswers(serve.client(), persons, venues, 2, &dump);
  ASSERT_TRUE(dumped.ok()) << dumped.message();
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
  json clusters = dump["clusters"];
  for (json& c : clusters) c = Pick(c, {"id", "cases"});
  EXPECT_EQ(JsonDiff(ClustersJson(reference), clusters, "clusters"), "");
  EXPECT_TRUE(serve.Stop().ok());

  json embedded_answer, embedded;
  const Status baseline = EmbeddedDump(town.lines, persons, venues, &embedded_answer, &embedded);
  ASSERT_TRUE(baseline.ok()) << baseline.message();
  EXPECT_EQ(JsonDiff(embedded, dump, "kafka vs embedded"), "");
}

INSTANTIATE_TEST_SUITE_P(Seeds, KafkaTownTest, ::testing::Values(1, 2));

// Creates one topic with the given settings through the admin API (as an operator might).
Status CreateTopic(const std::string& name, const std::map<std::string, std::string>& settings) {
  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", KafkaBrokers().c_str(), reason, sizeof(reason));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof(reason));
  if (rk == nullptr) return Status::Error(reason);
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), 1, 1, reason, sizeof(reason));
  for (const auto& [key, value] : settings) rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  Status status = Status::Ok();
  if (event == nullptr) {
    status = Status::Error("CreateTopics: no answer");
  } else {
    size_t count = 0;
    const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR || count != 1 ||
        rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = Status::Error("CreateTopics " + name + " failed");
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  rd_kafka_destroy(rk);
  return status;
}

class KafkaTopicRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_KAFKA(); }

  CommandResult Serve(const std::string& prefix) {
    TempDir data;
    std::vector<std::string> args = {std::getenv("CTRACE_BIN"), "serve", "--data", data.path().string(),
                                     "--listen", "127.0.0.1:0", "--clock", kClock};
    for (const auto& flag : KafkaServeFlags(prefix)) args.push_back(flag);
    return RunCommand(args, "", std::chrono::seconds(60));
  }
};

TEST_F(KafkaTopicRulesTest, ServeRefusesATopicKeeping60Days) {
  const std::string prefix = UniqueTopicPrefix("retention");
  const Status made = CreateTopic(prefix + ".tests", {{"retention.ms", "5184000000"},
                                                      {"segment.ms", "86400000"},
                                                      {"cleanup.policy", "delete"}});
  ASSERT_TRUE(made.ok()) << made.message();
  // --create makes the other four and reports the one that breaks the rules.
  const auto created = RunCommand({std::getenv("CTRACE_BIN"), "topics", "--create", "--kafka", KafkaBrokers(),
                                   "--topic-prefix", prefix});
  EXPECT_FALSE(created.exited_ok()) << created.output;
  EXPECT_NE(created.output.find(prefix + ".tests: retention.ms=5184000000"), std::string::npos) << created.output;

  const auto served = Serve(prefix);
  ASSERT_TRUE(WIFEXITED(served.status)) << DescribeExit(served.status) << ": " << served.output;
  EXPECT_EQ(WEXITSTATUS(served.status), 1) << served.output;
  EXPECT_NE(served.output.find("topic " + prefix + ".tests: retention.ms=5184000000 keeps data longer than"),
            std::string::npos)
      << served.output;
  EXPECT_EQ(served.output.find(".checkins"), std::string::npos) << "only the bad topic is named: " << served.output;
}

TEST_F(KafkaTopicRulesTest, ServeRefusesMissingTopicsAndCompaction) {
  const std::string prefix = UniqueTopicPrefix("missing");
  auto served = Serve(prefix);
  ASSERT_TRUE(WIFEXITED(served.status)) << DescribeExit(served.status);
  EXPECT_EQ(WEXITSTATUS(served.status), 1) << served.output;
  EXPECT_NE(served.output.find("topic " + prefix + ".checkins: missing"), std::string::npos) << served.output;

  ASSERT_TRUE(CreateTopic(prefix + ".alerts", {{"cleanup.policy", "compact"},
                                               {"retention.ms", "86400000"},
                                               {"segment.ms", "3600000"}})
                  .ok());
  const auto created = RunCommand({std::getenv("CTRACE_BIN"), "topics", "--create", "--kafka", KafkaBrokers(),
                                   "--topic-prefix", prefix});
  EXPECT_FALSE(created.exited_ok());
  served = Serve(prefix);
  EXPECT_EQ(WEXITSTATUS(served.status), 1) << served.output;
  EXPECT_NE(served.output.find("topic " + prefix + ".alerts: cleanup.policy=compact"), std::string::npos)
      << served.output;
  const auto checked = RunCommand({std::getenv("CTRACE_BIN"), "topics", "--check", "--kafka", KafkaBrokers(),
                                   "--topic-prefix", prefix});
  EXPECT_FALSE(checked.exited_ok());
}

}  // namespace
}  // namespace ctrace::test_support
