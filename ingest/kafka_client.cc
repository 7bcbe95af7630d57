#include "ingest/kafka_client.h"

#include <spdlog/spdlog.h>

namespace ctrace {

namespace {

// librdkafka's log lines name brokers, topics and internal state, never message contents.
void LogCallback(const rd_kafka_t* /*rk*/, int level, const char* facility, const char* message) {
  try {
    if (level <= 3) {
      spdlog::error("component=kafka facility={} message=\"{}\"", facility, message);
    } else if (level <= 4) {
      spdlog::warn("component=kafka facility={} message=\"{}\"", facility, message);
    } else {
      spdlog::debug("component=kafka facility={} message=\"{}\"", facility, message);
    }
  } catch (...) {
    // Nothing may escape into librdkafka.
  }
}

bool Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value, std::string* error) {
  char reason[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
    *error = "kafka setting " + name + "=" + value + ": " + reason;
    return false;
  }
  return true;
}

}  // namespace

void KafkaHandleDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }

rd_kafka_conf_t* NewKafkaConf(const KafkaOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& settings,
                              std::string* error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, LogCallback);
  bool ok = Set(conf, "bootstrap.servers", options.brokers, error);
  for (const auto& [name, value] : settings) ok = ok && Set(conf, name, value, error);
  for (const auto& [name, value] : options.extra) ok = ok && Set(conf, name, value, error);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  return conf;
}

KafkaHandle NewKafkaHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf, std::string* error) {
  char reason[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, reason, sizeof(reason));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    *error = std::string("cannot make a kafka client: ") + reason;
    return nullptr;
  }
  return KafkaHandle(rk);
}

bool TopicPartitions(rd_kafka_t* rk, const std::vector<std::string>& topics, std::chrono::milliseconds timeout,
                     std::map<std::string, int>* partitions, std::string* error) {
  partitions->clear();
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka metadata request failed: ") + rd_kafka_err2str(err);
    return false;
  }
  for (int topic_idx = 0; topic_idx < metadata->topic_cnt; ++topic_idx) {
    const auto& topic = metadata->topics[topic_idx];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    for (const auto& wanted : topics) {
      if (wanted == topic.topic) (*partitions)[wanted] = topic.partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return true;
}

}  // namespace ctrace
