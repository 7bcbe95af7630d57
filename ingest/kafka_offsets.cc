#include "ingest/kafka_offsets.h"

#include <map>
#include <vector>

#include "ingest/kafka_topics.h"

namespace ctrace {

bool KafkaReplayPositions(const KafkaOptions& options, std::optional<TimeMs> since, KafkaReplayRange* range,
                          std::string* error) {
  *range = {};
  rd_kafka_conf_t* conf = NewKafkaConf(options, {{"group.id", options.group}, {"enable.auto.commit", "false"}}, error);
  if (conf == nullptr) return false;
  KafkaHandle rk = NewKafkaHandle(RD_KAFKA_CONSUMER, conf, error);
  if (!rk) return false;
  const std::vector<std::string> topics = TopicNames(options.topic_prefix).EventTopics();
  std::map<std::string, int> counts;
  if (!TopicPartitions(rk.get(), topics, options.request_timeout, &counts, error)) return false;
  const int timeout_ms = static_cast<int>(options.request_timeout.count());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(16);
  for (size_t topic_idx = 0; topic_idx < topics.size(); ++topic_idx) {
    const auto it = counts.find(topics[topic_idx]);
    if (it == counts.end()) {
      *error = "topic " + topics[topic_idx] + ": missing";
      rd_kafka_topic_partition_list_destroy(list);
      return false;
    }
    for (int32_t partition = 0; partition < it->second; ++partition) {
      int64_t low = 0;
      int64_t high = 0;
      const rd_kafka_resp_err_t err =
          rd_kafka_query_watermark_offsets(rk.get(), topics[topic_idx].c_str(), partition, &low, &high, timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = "topic " + topics[topic_idx] + " partition " + std::to_string(partition) +
                 ": watermarks: " + rd_kafka_err2str(err);
        rd_kafka_topic_partition_list_destroy(list);
        return false;
      }
      const int32_t key = PartitionKey(static_cast<int>(topic_idx), partition);
      range->start[key] = low;
      range->end[key] = high;
      rd_kafka_topic_partition_list_add(list, topics[topic_idx].c_str(), partition)->offset = since ? *since : 0;
    }
  }
  if (since) {
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk.get(), list, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = std::string("offsets for times: ") + rd_kafka_err2str(err);
      rd_kafka_topic_partition_list_destroy(list);
      return false;
    }
    for (int entry_idx = 0; entry_idx < list->cnt; ++entry_idx) {
      const rd_kafka_topic_partition_t& entry = list->elems[entry_idx];
      int topic_idx = 0;
      while (topics[static_cast<size_t>(topic_idx)] != entry.topic) ++topic_idx;
      const int32_t key = PartitionKey(topic_idx, entry.partition);
      if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = std::string("topic ") + entry.topic + " partition " + std::to_string(entry.partition) +
                 ": offsets for times: " + rd_kafka_err2str(entry.err);
        rd_kafka_topic_partition_list_destroy(list);
        return false;
      }
      // -1: no message at or after `since`: nothing to read in this partition.
      range->start[key] = entry.offset < 0 ? range->end[key] : std::max(entry.offset, range->start[key]);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return true;
}

}  // namespace ctrace
