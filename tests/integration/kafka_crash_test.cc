// Crash safety through Kafka: `ctrace serve` is killed with SIGKILL at random moments (at least
// five times) while a town streams in through `ctrace ingest --kafka`, and restarted each time.
// In the end the answers equal the reference model's and the service holds exactly the
// accepted events: nothing lost, nothing applied twice.
//
// Size: $CTRACE_CRASH_PEOPLE people (default 4,800: about 100,000 events).
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

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

TEST(KafkaCrashTest, KilledAtRandomMomentsWhileEventsStreamIn) {
  if (KafkaBrokers().empty()) GTEST_SKIP() << "CTRACE_KAFKA_BROKERS is not set (scripts/test.sh starts a broker)";
  const auto started_at = std::chrono::steady_clock::now();
  TownOptions options;
  options.seed = 11;
  options.people = std::getenv("CTRACE_CRASH_PEOPLE") != nullptr ? std::atoi(std::getenv("CTRACE_CRASH_PEOPLE")) : 4800;
  options.venues = std::max(40, options.people / 8);
  options.days = 8;
  options.gatherings = 12;
  const Town town = GenerateTown(options);
  ReferenceModel reference(ReferenceParams{}, options.now);
  const RefIngestOutcome outcome = reference.Ingest(town.lines);
  std::printf("town: %zu lines, %d accepted\n", town.lines.size(), outcome.accepted);

  const std::string prefix = UniqueTopicPrefix("crash");
  {
    const Status topics = CreateKafkaTopics(prefix, 6);
    ASSERT_TRUE(topics.ok()) << topics.message();
  }
  TempDir dir;
  const std::string fifo = dir.Sub("events.fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);

  TempDir data;
  ServeProcess serve({.data_dir = data.path().string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
  const Status first = serve.Start();
  ASSERT_TRUE(first.ok()) << first.message();

  // The stream: chunks written into a FIFO that `ctrace ingest --kafka` reads as its file.
  std::atomic<bool> ingest_done{false};
  IngestSummary summary;
  Status ingested = Status::Ok();
  std::thread ingest([&] {
    ingested = CtraceIngestKafka(prefix, fifo, {"--clock", kClock, "--batch-lines", "1000"}, &summary);
    ingest_done = true;
  });
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    for (size_t line_idx = 0; line_idx < town.lines.size(); ++line_idx) {
      out << town.lines[line_idx] << '\n';
      if (line_idx % 2000 == 1999) {
        out.flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  std::mt19937_64 rng(options.seed);
  int kills = 0;
  while (kills < 5 || !ingest_done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 1500)(rng)));
    serve.Kill();
    ++kills;
    const Status restarted = serve.Start();
    ASSERT_TRUE(restarted.ok()) << "restart " << kills << ": " << restarted.message();
    if (kills > 40) break;
  }
  writer.join();
  ingest.join();
  ASSERT_TRUE(ingested.ok()) << ingested.message();
  EXPECT_EQ(summary.accepted, outcome.accepted);
  EXPECT_EQ(summary.duplicates, outcome.duplicates);

  json stats;
  const Status applied = WaitForStats(
      serve.client(),
      [&](const json& s) { return s.value("lag", 1LL) == 0 && s.value("applied", 0LL) >= summary.accepted; },
      std::chrono::minutes(3), &stats);
  ASSERT_TRUE(applied.ok()) << applied.message() << "\nlog:\n" << serve.LogTail();
  EXPECT_EQ(AppliedEvents(stats), summary.accepted) << stats.dump();
  EXPECT_EQ(stats.value("applied", 0LL), summary.accepted) << "every produced message applied once";

  json dump;
  const Status dumped = DumpAnswers(serve.client(), {}, {}, 2, &dump);
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
  std::printf("kills: %d, events: %zu, seconds: %.1f\n", kills, town.lines.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count());
}

}  // namespace
}  // namespace ctrace::test_support
