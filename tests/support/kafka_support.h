// What the Kafka integration tests share: the broker from the environment, topics of their
// own, outside clients (kcat, `ctrace ingest --kafka`, `ctrace topics`) run as child processes,
// and whole-service answer dumps to compare a Kafka-mode service with an embedded one.
//
// The broker is started once by scripts/test.sh (scripts/kafka.sh start), which exports
// CTRACE_KAFKA_BROKERS; without it the tests skip. Each test makes topics under its own prefix,
// so tests may run in parallel on one broker.
//
// Not thread-safe unless said otherwise.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
#include "tests/support/status.h"

namespace ctrace::test_support {

// $CTRACE_KAFKA_BROKERS, or empty when unset.
std::string KafkaBrokers();

// A topic prefix no other test (or earlier run) uses: "t-NAME-PID-COUNTER-MICROS".
std::string UniqueTopicPrefix(const std::string& name);

struct CommandResult {
  int status = -1;     // waitpid status; see DescribeExit
  std::string output;  // stdout and stderr together
  bool exited_ok() const;
};

// Runs `args` (args[0] is the program, looked up in PATH), stdin from `stdin_path` (empty:
// /dev/null), killing it after `timeout`. Thread-safe.
CommandResult RunCommand(const std::vector<std::string>& args, const std::string& stdin_path = "",
                         std::chrono::milliseconds timeout = std::chrono::minutes(5));

// $CTRACE_BIN topics --create --kafka BROKERS --topic-prefix PREFIX --partitions N.
Status CreateKafkaTopics(const std::string& prefix, int partitions);

// The flags that put `ctrace serve` on Kafka with `prefix`.
std::vector<std::string> KafkaServeFlags(const std::string& prefix);

// Produces each event line with kcat as an outside client: to PREFIX.<topic of its type>
// keyed by its person; a line that is not a JSON object with a known type goes to
// PREFIX.checkins with the key "-". Returns the number of messages per topic in *counts.
Status KcatProduce(const std::string& prefix, const std::vector<std::string>& lines, size_t* messages);

// Runs `$CTRACE_BIN ingest --kafka ... FILE` (extra flags appended) and parses its summary.
struct IngestSummary {
  long long events = 0, accepted = 0, duplicates = 0, rejected = 0;
};
Status CtraceIngestKafka(const std::string& prefix, const std::string& file, const std::vector<std::string>& extra,
                         IngestSummary* summary);

// Polls GET /v1/stats until `done(stats)` holds or `timeout` passes.
Status WaitForStats(HttpClient& client, const std::function<bool(const nlohmann::json&)>& done,
                    std::chrono::milliseconds timeout, nlohmann::json* last);

// The sum of stats.events["applied.<type>"] (events held in the state, Kafka mode).
long long AppliedEvents(const nlohmann::json& stats);

// Every derived answer of a service for the given people and venues: exposed lists per level,
// cases, clusters, chains of every case, each person's view, each venue's visits.
Status DumpAnswers(HttpClient& client, const std::set<std::string>& persons, const std::set<std::string>& venues,
                   int max_depth, nlohmann::json* dump);

// The person and venue ids that occur in NDJSON lines.
void CollectIds(const std::vector<std::string>& lines, std::set<std::string>* persons, std::set<std::string>* venues);

}  // namespace ctrace::test_support
