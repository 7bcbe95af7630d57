// `ctrace topics --create|--check --kafka BROKERS`: makes the Kafka topics with the required
// settings, or checks that they exist and keep data no longer than allowed (kafka_topics.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/settings.h"
#include "ingest/kafka_topics.h"

namespace ctrace {

namespace {

struct TopicsFlags {
  bool create = false;
  bool check = false;
  std::string kafka;
  std::string topic_prefix = "ctrace";
  int partitions = 6;
  int replication_factor = 1;
};

int RunTopics(const TopicsFlags& flags) {
  if (flags.create == flags.check) {
    std::fprintf(stderr, "ctrace: error: topics: give exactly one of --create and --check\n");
    return kExitUsage;
  }
  if (flags.kafka.empty()) {
    std::fprintf(stderr, "ctrace: error: --kafka: the brokers (host:port,...) are required\n");
    return kExitUsage;
  }
  if (flags.partitions < 1 || flags.partitions > kPartitionsPerTopicIndex) {
    std::fprintf(stderr, "ctrace: error: --partitions: must be between 1 and %d\n", kPartitionsPerTopicIndex);
    return kExitUsage;
  }
  if (flags.replication_factor < 1) {
    std::fprintf(stderr, "ctrace: error: --replication-factor: must be at least 1\n");
    return kExitUsage;
  }
  KafkaOptions options;
  options.brokers = flags.kafka;
  options.topic_prefix = flags.topic_prefix;
  std::string error;
  if (flags.create) {
    std::vector<std::string> notes;
    const bool ok = CreateTopics(options, {flags.partitions, flags.replication_factor}, &notes, &error);
    for (const auto& note : notes) std::printf("%s\n", note.c_str());
    if (!ok) {
      std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
      return kExitFailure;
    }
  }
  // After --create too: a topic that existed already may break the rules.
  std::vector<std::string> problems;
  if (!CheckTopics(options, &problems, &error)) {
    std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
    return kExitFailure;
  }
  for (const auto& problem : problems) std::fprintf(stderr, "ctrace: error: %s\n", problem.c_str());
  if (!problems.empty()) return kExitFailure;
  std::printf("topics %s.{checkins,tests,declarations,alerts,deadletter}: ok\n", flags.topic_prefix.c_str());
  return kExitOk;
}

}  // namespace

CommandRunner AddTopicsCommand(CLI::App& app) {
  auto flags = std::make_shared<TopicsFlags>();
  auto* sub = app.add_subcommand("topics", "create or check the Kafka topics with the required settings");
  sub->add_flag("--create", flags->create, "create the missing topics (then check them all)");
  sub->add_flag("--check", flags->check, "check that every topic exists and keeps data at most 30 days");
  AddOption(sub, "--kafka", &flags->kafka, "the Kafka brokers, host:port,...");
  AddOption(sub, "--topic-prefix", &flags->topic_prefix, "the topics are PREFIX.checkins, PREFIX.tests, ...");
  AddOption(sub, "--partitions", &flags->partitions, "partitions of each topic made by --create");
  AddOption(sub, "--replication-factor", &flags->replication_factor, "replicas of each partition made by --create");
  return [flags] { return RunTopics(*flags); };
}

}  // namespace ctrace
