#include "ingest/kafka_consumer.h"

#include <spdlog/spdlog.h>

namespace ctrace {

std::unique_ptr<KafkaSource> KafkaSource::Open(const KafkaOptions& options,
                                               const KafkaConsumerOptions& consumer_options,
                                               const TracingParams& params, Clock* clock, EventSink* dead_letters,
                                               std::string* error) {
  std::unique_ptr<KafkaSource> source(new KafkaSource());
  source->options_ = options;
  source->consumer_options_ = consumer_options;
  source->params_ = params;
  if (consumer_options.event_clock) source->params_.max_clock_skew = kTimeMax / 4;
  source->clock_ = clock;
  source->dead_letters_ = dead_letters;
  source->decoder_ = std::make_unique<EventDecoder>(consumer_options.decoder);
  rd_kafka_conf_t* conf = NewKafkaConf(options,
                                       {{"group.id", options.group},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"auto.offset.reset", "earliest"},
                                        {"enable.partition.eof", "false"},
                                        {"allow.auto.create.topics", "false"},
                                        {"fetch.wait.max.ms", std::to_string(consumer_options.fetch_wait_ms)},
                                        {"queued.max.messages.kbytes",
                                         std::to_string(consumer_options.max_prefetch_kbytes)}},
                                       error);
  if (conf == nullptr) return nullptr;
  source->rk_ = NewKafkaHandle(RD_KAFKA_CONSUMER, conf, error);
  if (!source->rk_) return nullptr;
  rd_kafka_poll_set_consumer(source->rk_.get());

  source->topic_names_ = TopicNames(options.topic_prefix).EventTopics();
  std::map<std::string, int> counts;
  if (!TopicPartitions(source->rk_.get(), source->topic_names_, options.request_timeout, &counts, error)) {
    return nullptr;
  }
  for (size_t topic_idx = 0; topic_idx < source->topic_names_.size(); ++topic_idx) {
    const std::string& topic = source->topic_names_[topic_idx];
    const auto it = counts.find(topic);
    if (it == counts.end()) {
      *error = "topic " + topic + ": missing";
      return nullptr;
    }
    if (it->second > kPartitionsPerTopicIndex) {
      *error = "topic " + topic + ": more than " + std::to_string(kPartitionsPerTopicIndex) + " partitions";
      return nullptr;
    }
    for (int32_t partition = 0; partition < it->second; ++partition) {
      source->partitions_.push_back(
          {static_cast<int>(topic_idx), topic, partition, PartitionKey(static_cast<int>(topic_idx), partition)});
    }
  }
  source->reachable_ = true;
  source->prober_ = std::thread([raw = source.get()] { raw->ProbeLoop(); });
  return source;
}

KafkaSource::~KafkaSource() {
  {
    std::lock_guard<std::mutex> lock(probe_mutex_);
    stop_ = true;
  }
  probe_wake_.notify_all();
  if (prober_.joinable()) prober_.join();
  pending_.reset();
  if (rk_) rd_kafka_consumer_close(rk_.get());
}

void KafkaSource::ProbeLoop() {
  std::unique_lock<std::mutex> lock(probe_mutex_);
  while (!stop_) {
    lock.unlock();
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_.get(), 0, nullptr, &metadata, static_cast<int>(consumer_options_.probe_timeout.count()));
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    const bool reachable = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (reachable != reachable_.exchange(reachable)) {
      if (reachable) {
        spdlog::info("component=kafka_consumer broker=reachable");
      } else {
        spdlog::warn("component=kafka_consumer broker=unreachable error=\"{}\"", rd_kafka_err2str(err));
      }
    }
    lock.lock();
    probe_wake_.wait_for(lock, consumer_options_.probe_interval, [&] { return stop_.load(); });
  }
}

bool KafkaSource::AtPositions(const LogPositions& applied) const {
  for (const auto& partition : partitions_) {
    const auto want = applied.find(partition.key);
    const auto have = next_.find(partition.key);
    const bool want_known = want != applied.end();
    const bool have_known = have != next_.end();
    if (want_known != have_known) return false;
    if (want_known && want->second != have->second) return false;
  }
  return true;
}

bool KafkaSource::Assign(const LogPositions& applied, std::string* error) {
  pending_.reset();
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), nullptr);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka unassign failed: ") + rd_kafka_err2str(err);
    return false;
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size()));
  next_.clear();
  for (const auto& partition : partitions_) {
    rd_kafka_topic_partition_t* entry =
        rd_kafka_topic_partition_list_add(list, partition.topic.c_str(), partition.partition);
    const auto it = applied.find(partition.key);
    if (it != applied.end()) {
      entry->offset = it->second;
      next_[partition.key] = it->second;
    } else {
      entry->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  err = rd_kafka_assign(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka assign failed: ") + rd_kafka_err2str(err);
    return false;
  }
  assigned_ = true;
  spdlog::info("component=kafka_consumer assigned_partitions={} applied_positions={}", partitions_.size(),
               Lag(applied, {}));
  return true;
}

bool KafkaSource::Read(const LogPositions& applied, size_t max, std::vector<LogRecord>* records,
                       std::string* error) {
  records->clear();
  if (!assigned_ || !AtPositions(applied)) {
    if (!Assign(applied, error)) return false;
  }
  const TimeMs now = clock_->Now();
  SinkBatch rejected;
  while (records->size() < max) {
    Message message = pending_ ? std::move(pending_) : Message(rd_kafka_consumer_poll(rk_.get(), 0));
    if (!message) break;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Consumer errors are transient (librdkafka reconnects and retries by itself); the
      // reachability probe reports outages.
      spdlog::debug("component=kafka_consumer error=\"{}\"", rd_kafka_message_errstr(message.get()));
      continue;
    }
    int topic_idx = -1;
    const std::string_view topic = rd_kafka_topic_name(message->rkt);
    for (size_t idx = 0; idx < topic_names_.size(); ++idx) {
      if (topic_names_[idx] == topic) topic_idx = static_cast<int>(idx);
    }
    if (topic_idx < 0) continue;
    const int32_t key = PartitionKey(topic_idx, message->partition);
    const auto next = next_.find(key);
    if (next != next_.end() && message->offset < next->second) continue;  // fetched before a seek
    next_[key] = message->offset + 1;

    LogRecord record;
    record.partition = key;
    record.offset = message->offset;
    const std::string_view text =
        message->payload == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(message->payload), message->len);
    auto outcome = decoder_->Decode(text, now, params_);
    if (outcome.event) {
      record.event = std::move(*outcome.event);
      clock_->Observe(record.event.time);
    } else {
      record.skip = true;
      rejected.dead_letters.push_back({outcome.reason, std::string(text.substr(0, kDeadLetterRawLimit))});
    }
    records->push_back(std::move(record));
  }
  if (!rejected.dead_letters.empty()) {
    rejected.receive_time = now;
    const SinkResult written = dead_letters_->Write(rejected);
    if (written.status != SinkStatus::kOk) {
      *error = "rejected messages could not be sent to the dead letters: " + written.error;
      records->clear();
      assigned_ = false;  // read them again
      return false;
    }
    spdlog::info("component=kafka_consumer rejected_messages={}", rejected.dead_letters.size());
  }
  return true;
}

void KafkaSource::WaitForMore(const LogPositions& /*applied*/, std::chrono::milliseconds timeout) {
  if (pending_) return;
  pending_.reset(rd_kafka_consumer_poll(rk_.get(), static_cast<int>(timeout.count())));
}

LogPositions KafkaSource::End() {
  LogPositions end;
  for (const auto& partition : partitions_) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(rk_.get(), partition.topic.c_str(), partition.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      end[partition.key] = high;
    }
  }
  return end;
}

}  // namespace ctrace
