#include "ingest/kafka_topics.h"

#include <map>
#include <memory>
#include <thread>

namespace ctrace {

namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* admin_options) const { rd_kafka_AdminOptions_destroy(admin_options); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using AdminEvent = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

KafkaHandle AdminClient(const KafkaOptions& options, std::string* error) {
  rd_kafka_conf_t* conf = NewKafkaConf(options, {}, error);
  if (conf == nullptr) return nullptr;
  return NewKafkaHandle(RD_KAFKA_PRODUCER, conf, error);
}

AdminOptions MakeAdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, const KafkaOptions& options) {
  AdminOptions admin_options(rd_kafka_AdminOptions_new(rk, op));
  char reason[256];
  rd_kafka_AdminOptions_set_request_timeout(admin_options.get(), static_cast<int>(options.request_timeout.count()),
                                            reason, sizeof(reason));
  return admin_options;
}

// Waits for the admin result of type `type` on `queue`.
AdminEvent WaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t type, const KafkaOptions& options,
                      std::string* error) {
  AdminEvent event(rd_kafka_queue_poll(queue, static_cast<int>(options.request_timeout.count()) + 1000));
  if (!event) {
    *error = "the kafka cluster at " + options.brokers + " did not answer in time";
    return nullptr;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka admin request failed: ") + rd_kafka_event_error_string(event.get());
    return nullptr;
  }
  if (rd_kafka_event_type(event.get()) != type) {
    *error = "unexpected kafka admin event";
    return nullptr;
  }
  return event;
}

}  // namespace

KafkaTopicNames TopicNames(std::string_view prefix) {
  const std::string base(prefix);
  return {base + ".checkins", base + ".tests", base + ".declarations", base + ".alerts", base + ".deadletter"};
}

int EventTopicIndex(EventType type) {
  switch (type) {
    case EventType::kCheckin:
    case EventType::kCheckout:
      return 0;
    case EventType::kTestResult:
      return 1;
    case EventType::kDeclaration:
      return 2;
  }
  return 0;
}

bool CreateTopics(const KafkaOptions& options, const TopicLayout& layout, std::vector<std::string>* notes,
                  std::string* error) {
  if (layout.partitions < 1 || layout.partitions > kPartitionsPerTopicIndex) {
    *error = "partitions must be between 1 and " + std::to_string(kPartitionsPerTopicIndex);
    return false;
  }
  auto rk = AdminClient(options, error);
  if (!rk) return false;
  const auto names = TopicNames(options.topic_prefix).All();
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  char reason[512];
  bool ok = true;
  for (const auto& name : names) {
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), layout.partitions, layout.replication_factor, reason, sizeof(reason));
    if (topic == nullptr) {
      *error = "topic " + name + ": " + reason;
      ok = false;
      break;
    }
    new_topics.push_back(topic);
    rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "delete");
    rd_kafka_NewTopic_set_config(topic, "retention.ms", std::to_string(kMaxRetentionMs).c_str());
    rd_kafka_NewTopic_set_config(topic, "segment.ms", std::to_string(kMaxSegmentMs).c_str());
  }
  if (ok) {
    Queue queue(rd_kafka_queue_new(rk.get()));
    auto admin_options = MakeAdminOptions(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, options);
    rd_kafka_CreateTopics(rk.get(), new_topics.data(), new_topics.size(), admin_options.get(), queue.get());
    auto event = WaitResult(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, options, error);
    ok = event != nullptr;
    if (ok) {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
      for (size_t result_idx = 0; result_idx < count; ++result_idx) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[result_idx]);
        const std::string name = rd_kafka_topic_result_name(results[result_idx]);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          notes->push_back("topic " + name + ": exists already, left as it is");
        } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* message = rd_kafka_topic_result_error_string(results[result_idx]);
          *error = "topic " + name + ": " + (message != nullptr ? message : rd_kafka_err2str(err));
          ok = false;
        } else {
          notes->push_back("topic " + name + ": created");
        }
      }
    }
  }
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  // A created topic shows in the cluster's metadata a moment later: wait for it, so that a
  // check (or a service) started right after sees every topic.
  const auto deadline = std::chrono::steady_clock::now() + options.request_timeout;
  while (ok) {
    std::map<std::string, int> partitions;
    std::string metadata_error;
    if (TopicPartitions(rk.get(), names, options.request_timeout, &partitions, &metadata_error) &&
        partitions.size() == names.size()) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;  // the check that follows reports it
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok;
}

bool CheckTopics(const KafkaOptions& options, std::vector<std::string>* problems, std::string* error) {
  problems->clear();
  auto rk = AdminClient(options, error);
  if (!rk) return false;
  const auto names = TopicNames(options.topic_prefix).All();
  std::map<std::string, int> partitions;
  if (!TopicPartitions(rk.get(), names, options.request_timeout, &partitions, error)) return false;
  std::vector<std::string> existing;
  for (const auto& name : names) {
    if (partitions.count(name) == 0) {
      problems->push_back("topic " + name + ": missing (create it with `ctrace topics --create`)");
    } else if (partitions[name] > kPartitionsPerTopicIndex) {
      problems->push_back("topic " + name + ": " + std::to_string(partitions[name]) + " partitions, at most " +
                          std::to_string(kPartitionsPerTopicIndex) + " are supported");
    } else {
      existing.push_back(name);
    }
  }
  if (existing.empty()) return true;

  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& name : existing) resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  Queue queue(rd_kafka_queue_new(rk.get()));
  auto admin_options = MakeAdminOptions(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, options);
  rd_kafka_DescribeConfigs(rk.get(), resources.data(), resources.size(), admin_options.get(), queue.get());
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  auto event = WaitResult(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, options, error);
  if (!event) return false;
  size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  for (size_t resource_idx = 0; resource_idx < count; ++resource_idx) {
    const rd_kafka_ConfigResource_t* resource = described[resource_idx];
    const std::string name = rd_kafka_ConfigResource_name(resource);
    if (rd_kafka_ConfigResource_error(resource) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* message = rd_kafka_ConfigResource_error_string(resource);
      problems->push_back("topic " + name + ": cannot read its settings: " + (message != nullptr ? message : "?"));
      continue;
    }
    std::map<std::string, std::string> settings;
    size_t entry_count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resource, &entry_count);
    for (size_t entry_idx = 0; entry_idx < entry_count; ++entry_idx) {
      const char* value = rd_kafka_ConfigEntry_value(entries[entry_idx]);
      settings[rd_kafka_ConfigEntry_name(entries[entry_idx])] = value != nullptr ? value : "";
    }
    auto check_limit = [&](const std::string& setting, int64_t limit, const char* meaning) {
      const auto it = settings.find(setting);
      if (it == settings.end()) {
        problems->push_back("topic " + name + ": " + setting + " is not reported by the broker");
        return;
      }
      int64_t value = -1;
      try {
        value = std::stoll(it->second);
      } catch (const std::exception&) {
        value = -1;
      }
      if (value < 0 || value > limit) {
        problems->push_back("topic " + name + ": " + setting + "=" + it->second + " keeps data longer than " +
                            std::to_string(limit) + " (" + meaning + ")");
      }
    };
    check_limit("retention.ms", kMaxRetentionMs, "30 days");
    check_limit("segment.ms", kMaxSegmentMs, "1 day");
    const auto policy = settings.find("cleanup.policy");
    if (policy == settings.end() || policy->second != "delete") {
      problems->push_back("topic " + name + ": cleanup.policy=" +
                          (policy == settings.end() ? std::string("?") : policy->second) +
                          " must be delete (compacted data is never deleted by time)");
    }
  }
  return true;
}

}  // namespace ctrace
