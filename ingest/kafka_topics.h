// The Kafka topics of ctrace, how their partitions map to log positions, and the retention
// rules every topic must follow (tracing.md §8, operations.md).
//
//   PREFIX.checkins      key: person   value: the event's JSON text (checkin, checkout)
//   PREFIX.tests         key: person   value: the event's JSON text (test_result)
//   PREFIX.declarations  key: person   value: the event's JSON text (declaration)
//   PREFIX.alerts        key: person, venue or cluster id; value: the alert's JSON (api.md);
//                        headers "seq" and "store" (processors/alert_publisher.h)
//   PREFIX.deadletter    no key; value: the rejected bytes (<= 4 KiB); headers "reason" and
//                        "received_at" (RFC 3339)
//
// Thread-safety: the functions may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/kafka_client.h"
#include "model/event.h"

namespace ctrace {

struct KafkaTopicNames {
  std::string checkins;
  std::string tests;
  std::string declarations;
  std::string alerts;
  std::string deadletter;

  // All five, in the order above.
  std::vector<std::string> All() const { return {checkins, tests, declarations, alerts, deadletter}; }
  // The topics events are read from, in the order of their topic index (below).
  std::vector<std::string> EventTopics() const { return {checkins, tests, declarations}; }
};

KafkaTopicNames TopicNames(std::string_view prefix);

// The topic index of an event type's topic: checkins 0, tests 1, declarations 2.
int EventTopicIndex(EventType type);

// Log positions of the state store key Kafka partitions as
//   topic_index * kPartitionsPerTopicIndex + partition
// On-disk format (stored with the applied positions), DO NOT CHANGE.
inline constexpr int32_t kPartitionsPerTopicIndex = 1024;
inline int32_t PartitionKey(int topic_index, int32_t partition) {
  return topic_index * kPartitionsPerTopicIndex + partition;
}

// The retention rules.
inline constexpr int64_t kMaxRetentionMs = 2'592'000'000;  // 30 days
inline constexpr int64_t kMaxSegmentMs = 86'400'000;       // 1 day

struct TopicLayout {
  // Partitions of each topic. Default: 6.
  int partitions = 6;
  // Replicas of each partition. Default: 1 (one broker).
  int replication_factor = 1;
};

// Creates every missing topic with cleanup.policy=delete, retention.ms=kMaxRetentionMs,
// segment.ms=kMaxSegmentMs; topics that exist already are left alone (and reported in *notes).
// Returns false and sets *error when a topic cannot be created.
bool CreateTopics(const KafkaOptions& options, const TopicLayout& layout, std::vector<std::string>* notes,
                  std::string* error);

// Checks that every topic exists and keeps data no longer than the rules allow. Sets
// *problems to one line per violation, naming the topic and the setting ("topic ctrace.tests:
// retention.ms=5184000000 keeps data longer than 2592000000 (30 days)"). Returns false and sets
// *error when the cluster cannot be asked.
bool CheckTopics(const KafkaOptions& options, std::vector<std::string>* problems, std::string* error);

}  // namespace ctrace
