// What every Kafka client of ctrace shares: handles with their configuration, librdkafka's log
// routed to ours, and the options that name a cluster. Only ingest/kafka_*.cc include
// librdkafka; nothing outside ingest/ sees its types.
//
// Thread-safety: the functions may be called from any thread; a handle follows librdkafka's
// rules (thread-safe except where rdkafka.h says otherwise).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ctrace {

struct KafkaOptions {
  // bootstrap.servers: "host:port,...". Required.
  std::string brokers;
  // The topics are PREFIX.checkins, PREFIX.tests, ... Default: "ctrace".
  std::string topic_prefix = "ctrace";
  // group.id of the consumer (it assigns partitions itself and commits nothing to the group;
  // see kafka_consumer.h). Default: "ctrace".
  std::string group = "ctrace";
  // How long an admin or metadata request may take. Default: 10 s.
  std::chrono::milliseconds request_timeout{10'000};
  // Extra librdkafka settings, applied last (for experiments). Default: none.
  std::map<std::string, std::string> extra;
};

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct KafkaTopicDeleter {
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};
using KafkaTopicHandle = std::unique_ptr<rd_kafka_topic_t, KafkaTopicDeleter>;

// A configuration with bootstrap.servers, ctrace's log callback and `settings` (then
// options.extra). Returns nullptr and sets *error on a bad setting. The caller owns the result
// until it passes it to NewKafkaHandle.
rd_kafka_conf_t* NewKafkaConf(const KafkaOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& settings,
                              std::string* error);
// Makes a client; takes ownership of `conf` whatever happens. Returns nullptr and sets *error
// on failure.
KafkaHandle NewKafkaHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf, std::string* error);

// The partition count of each of `topics` that exists (missing topics are absent from the
// result). Returns false and sets *error when the cluster does not answer in `timeout`.
bool TopicPartitions(rd_kafka_t* rk, const std::vector<std::string>& topics, std::chrono::milliseconds timeout,
                     std::map<std::string, int>* partitions, std::string* error);

}  // namespace ctrace
