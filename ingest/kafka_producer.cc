#include "ingest/kafka_producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ctrace {

namespace {

// The message of one event or dead letter, pointing back at its Write.
struct MessageTag {
  KafkaSink::Pending* pending = nullptr;
  size_t event_idx = 0;  // index into the batch's events; SIZE_MAX for a dead letter
};

// The settings every ctrace producer shares.
std::vector<std::pair<std::string, std::string>> ProducerSettings(const KafkaProducerOptions& producer_options) {
  return {{"acks", "all"},
          {"enable.idempotence", "true"},
          {"linger.ms", std::to_string(producer_options.linger_ms)},
          {"queue.buffering.max.messages", std::to_string(producer_options.max_queued_messages)},
          {"queue.buffering.max.kbytes", std::to_string(producer_options.max_queued_kbytes)},
          {"message.timeout.ms", std::to_string(producer_options.delivery_timeout.count())},
          {"compression.codec", "lz4"}};
}

// Produces one message (copied) with `tag` as its opaque; waits up to `queue_full_wait` while
// librdkafka's queue is full.
rd_kafka_resp_err_t ProduceOne(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::string_view key, std::string_view value,
                               const std::vector<std::pair<const char*, std::string>>& headers, void* tag,
                               std::chrono::milliseconds queue_full_wait) {
  std::vector<rd_kafka_vu_t> vus;
  vus.reserve(5 + headers.size());
  rd_kafka_vu_t vu{};
  vu.vtype = RD_KAFKA_VTYPE_RKT;
  vu.u.rkt = topic;
  vus.push_back(vu);
  vu = {};
  vu.vtype = RD_KAFKA_VTYPE_VALUE;
  vu.u.mem.ptr = const_cast<char*>(value.data());
  vu.u.mem.size = value.size();
  vus.push_back(vu);
  if (!key.empty()) {
    vu = {};
    vu.vtype = RD_KAFKA_VTYPE_KEY;
    vu.u.mem.ptr = const_cast<char*>(key.data());
    vu.u.mem.size = key.size();
    vus.push_back(vu);
  }
  vu = {};
  vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu.u.i = RD_KAFKA_MSG_F_COPY;
  vus.push_back(vu);
  vu = {};
  vu.vtype = RD_KAFKA_VTYPE_OPAQUE;
  vu.u.ptr = tag;
  vus.push_back(vu);
  for (const auto& [name, header_value] : headers) {
    vu = {};
    vu.vtype = RD_KAFKA_VTYPE_HEADER;
    vu.u.header.name = name;
    vu.u.header.val = header_value.data();
    vu.u.header.size = static_cast<ssize_t>(header_value.size());
    vus.push_back(vu);
  }
  const auto deadline = std::chrono::steady_clock::now() + queue_full_wait;
  while (true) {
    rd_kafka_error_t* produce_error = rd_kafka_produceva(rk, vus.data(), vus.size());
    if (produce_error == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
    const rd_kafka_resp_err_t err = rd_kafka_error_code(produce_error);
    rd_kafka_error_destroy(produce_error);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline) return err;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

struct KafkaSink::Pending {
  size_t remaining = 0;
  size_t failed = 0;
  std::string first_error;
  LogPositions positions;         // PartitionKey -> offset + 1 of the delivered events
  std::vector<bool> delivered;    // per event
  std::vector<MessageTag> tags;   // stable: reserved before the first message is produced
};

std::unique_ptr<KafkaSink> KafkaSink::Open(const KafkaOptions& options, const KafkaProducerOptions& producer_options,
                                           AppliedIdFn already_applied, std::string* error) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink());
  sink->options_ = options;
  sink->producer_options_ = producer_options;
  sink->already_applied_ = std::move(already_applied);
  rd_kafka_conf_t* conf = NewKafkaConf(options, ProducerSettings(producer_options), error);
  if (conf == nullptr) return nullptr;
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::OnDelivery);
  rd_kafka_conf_set_opaque(conf, sink.get());
  sink->rk_ = NewKafkaHandle(RD_KAFKA_PRODUCER, conf, error);
  if (!sink->rk_) return nullptr;
  const auto names = TopicNames(options.topic_prefix);
  for (const auto& name : names.EventTopics()) {
    sink->event_topics_.emplace_back(rd_kafka_topic_new(sink->rk_.get(), name.c_str(), nullptr));
  }
  sink->deadletter_topic_.reset(rd_kafka_topic_new(sink->rk_.get(), names.deadletter.c_str(), nullptr));
  sink->poller_ = std::thread([raw = sink.get()] { raw->PollLoop(); });
  return sink;
}

KafkaSink::~KafkaSink() {
  if (rk_) {
    const rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(producer_options_.delivery_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("component=kafka_producer dropped_messages={} error=\"{}\"", rd_kafka_outq_len(rk_.get()),
                   rd_kafka_err2str(err));
    }
  }
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  event_topics_.clear();
  deadletter_topic_.reset();
  rk_.reset();
}

void KafkaSink::PollLoop() {
  while (!stop_) rd_kafka_poll(rk_.get(), 100);
}

void KafkaSink::OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  try {
    auto* sink = static_cast<KafkaSink*>(opaque);
    auto* tag = static_cast<MessageTag*>(message->_private);
    if (sink == nullptr || tag == nullptr || tag->pending == nullptr) return;
    std::lock_guard<std::mutex> lock(sink->mutex_);
    Pending& pending = *tag->pending;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (pending.failed++ == 0) pending.first_error = rd_kafka_err2str(message->err);
    } else if (tag->event_idx != SIZE_MAX) {
      pending.delivered[tag->event_idx] = true;
      int topic_idx = 0;
      const char* topic_name = rd_kafka_topic_name(message->rkt);
      for (size_t idx = 0; idx < sink->event_topics_.size(); ++idx) {
        if (std::string_view(rd_kafka_topic_name(sink->event_topics_[idx].get())) == topic_name) {
          topic_idx = static_cast<int>(idx);
        }
      }
      auto& next = pending.positions[PartitionKey(topic_idx, message->partition)];
      next = std::max(next, message->offset + 1);
    }
    if (--pending.remaining == 0) sink->delivered_.notify_all();
  } catch (...) {
    // Nothing may escape into librdkafka; a lost report shows as a Write that waits for it.
  }
}

rd_kafka_resp_err_t KafkaSink::Produce(rd_kafka_topic_t* topic, std::string_view key, std::string_view value,
                                       const std::vector<std::pair<const char*, std::string>>& headers,
                                       void* tag) {
  return ProduceOne(rk_.get(), topic, key, value, headers, tag, producer_options_.queue_full_wait);
}

SinkResult KafkaSink::Write(const SinkBatch& batch) {
  SinkResult result;
  result.outcomes.assign(batch.events.size(), AppendOutcome::kAccepted);
  const size_t messages = batch.events.size() + batch.dead_letters.size();
  if (rd_kafka_outq_len(rk_.get()) + static_cast<int64_t>(messages) >
      static_cast<int64_t>(producer_options_.max_queued_messages)) {
    result.status = SinkStatus::kOverloaded;
    result.error = "the kafka producer queue is full; retry later";
    return result;
  }
  // Duplicates: ids applied already (asked without the lock), then ids this process wrote.
  if (already_applied_) {
    for (size_t event_idx = 0; event_idx < batch.events.size(); ++event_idx) {
      if (already_applied_(batch.events[event_idx].id)) result.outcomes[event_idx] = AppendOutcome::kDuplicate;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::unordered_set<std::string_view> ids_in_batch;
    for (size_t event_idx = 0; event_idx < batch.events.size(); ++event_idx) {
      const std::string& id = batch.events[event_idx].id;
      if (seen_ids_.count(id) != 0 || !ids_in_batch.insert(id).second) {
        result.outcomes[event_idx] = AppendOutcome::kDuplicate;
      }
    }
  }

  Pending pending;
  pending.delivered.assign(batch.events.size(), false);
  pending.tags.reserve(messages);
  size_t produced = 0;
  rd_kafka_resp_err_t produce_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending.remaining = messages;  // lowered below for what is not produced
  }
  for (size_t event_idx = 0; event_idx < batch.events.size() && produce_err == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++event_idx) {
    if (result.outcomes[event_idx] == AppendOutcome::kDuplicate) continue;
    const Event& event = batch.events[event_idx];
    pending.tags.push_back({&pending, event_idx});
    produce_err = Produce(event_topics_[static_cast<size_t>(EventTopicIndex(event.type))].get(), event.person,
                          batch.raw[event_idx], {}, &pending.tags.back());
    if (produce_err == RD_KAFKA_RESP_ERR_NO_ERROR) ++produced;
  }
  const std::string received_at = FormatUtc(batch.receive_time);
  for (size_t letter_idx = 0; letter_idx < batch.dead_letters.size() && produce_err == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++letter_idx) {
    const DeadLetter& letter = batch.dead_letters[letter_idx];
    pending.tags.push_back({&pending, SIZE_MAX});
    const std::string_view raw = std::string_view(letter.raw).substr(0, kDeadLetterRawLimit);
    produce_err = Produce(deadletter_topic_.get(), {}, raw, {{"reason", letter.reason}, {"received_at", received_at}},
                          &pending.tags.back());
    if (produce_err == RD_KAFKA_RESP_ERR_NO_ERROR) ++produced;
  }

  std::unique_lock<std::mutex> lock(mutex_);
  // Messages never produced get no report; duplicates were never produced either.
  pending.remaining -= messages - produced;
  // Every produced message gets exactly one report within message.timeout.ms.
  delivered_.wait(lock, [&] { return pending.remaining == 0; });

  for (size_t event_idx = 0; event_idx < batch.events.size(); ++event_idx) {
    if (pending.delivered[event_idx]) Remember(batch.events[event_idx].id);
  }
  for (const auto& [key, next] : pending.positions) {
    auto& end = written_end_[key];
    end = std::max(end, next);
  }
  if (produce_err != RD_KAFKA_RESP_ERR_NO_ERROR || pending.failed > 0) {
    if (produce_err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      result.status = SinkStatus::kOverloaded;
      result.error = "the kafka producer queue is full; retry later";
    } else {
      result.status = SinkStatus::kError;
      result.error = produce_err != RD_KAFKA_RESP_ERR_NO_ERROR
                         ? std::string("kafka produce failed: ") + rd_kafka_err2str(produce_err)
                         : "kafka did not acknowledge " + std::to_string(pending.failed) + " messages: " +
                               pending.first_error;
    }
    return result;
  }
  for (size_t event_idx = 0; event_idx < batch.events.size(); ++event_idx) {
    const std::string type(EventTypeName(batch.events[event_idx].type));
    ++counters_[type + (result.outcomes[event_idx] == AppendOutcome::kDuplicate ? ".duplicate" : ".accepted")];
  }
  for (const auto& letter : batch.dead_letters) ++counters_["rejected." + letter.reason];
  if (!pending.positions.empty()) {
    result.ticket = next_ticket_++;
    tickets_[result.ticket] = std::move(pending.positions);
    while (tickets_.size() > producer_options_.max_tickets) tickets_.erase(tickets_.begin());
  }
  return result;
}

void KafkaSink::Remember(const std::string& id) {
  if (!seen_ids_.insert(id).second) return;
  seen_order_.push_back(id);
  while (seen_order_.size() > producer_options_.max_remembered_ids) {
    seen_ids_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
}

LogPositions KafkaSink::WrittenEnd() {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_end_;
}

bool KafkaSink::TicketPositions(uint64_t ticket, LogPositions* positions) {
  positions->clear();
  if (ticket == 0) return true;  // nothing was written
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return false;
  *positions = it->second;
  return true;
}

std::map<std::string, uint64_t> KafkaSink::Counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

int KafkaSink::QueueLength() { return rd_kafka_outq_len(rk_.get()); }

// ---------------------------------------------------------------------------------------------
// KafkaTopicWriter

namespace {

struct WriterTag {
  KafkaTopicWriter::Pending* pending = nullptr;
  size_t index = 0;
};

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

}  // namespace

struct KafkaTopicWriter::Pending {
  size_t remaining = 0;
  std::vector<TopicDelivery>* deliveries = nullptr;
  std::vector<WriterTag> tags;  // stable: reserved before the first message is produced
};

std::unique_ptr<KafkaTopicWriter> KafkaTopicWriter::Open(const KafkaOptions& options,
                                                         const KafkaProducerOptions& producer_options,
                                                         const std::string& topic, std::string* error) {
  std::unique_ptr<KafkaTopicWriter> writer(new KafkaTopicWriter());
  writer->options_ = options;
  writer->producer_options_ = producer_options;
  writer->topic_name_ = topic;
  std::lock_guard<std::mutex> lock(writer->handle_mutex_);
  if (!writer->EnsureProducer(error)) return nullptr;
  return writer;
}

KafkaTopicWriter::~KafkaTopicWriter() {
  std::lock_guard<std::mutex> lock(handle_mutex_);
  CloseProducer();
}

bool KafkaTopicWriter::EnsureProducer(std::string* error) {
  if (rk_) {
    char reason[512];
    const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_.get(), reason, sizeof(reason));
    if (fatal == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    spdlog::warn("component=kafka_topic_writer topic={} fatal_error=\"{}\" action=new_producer", topic_name_, reason);
    CloseProducer();
  }
  auto settings = ProducerSettings(producer_options_);
  settings.emplace_back("enable.gapless.guarantee", "true");
  rd_kafka_conf_t* conf = NewKafkaConf(options_, settings, error);
  if (conf == nullptr) return false;
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaTopicWriter::OnDelivery);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = NewKafkaHandle(RD_KAFKA_PRODUCER, conf, error);
  if (!rk_) return false;
  topic_.reset(rd_kafka_topic_new(rk_.get(), topic_name_.c_str(), nullptr));
  stop_poller_ = false;
  poller_ = std::thread([this, rk = rk_.get()] {
    while (!stop_poller_.load()) rd_kafka_poll(rk, 100);
  });
  return true;
}

void KafkaTopicWriter::CloseProducer() {
  stop_poller_ = true;
  if (poller_.joinable()) poller_.join();
  if (rk_) {
    const rd_kafka_resp_err_t err =
        rd_kafka_flush(rk_.get(), static_cast<int>(producer_options_.delivery_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("component=kafka_topic_writer topic={} dropped_messages={}", topic_name_, rd_kafka_outq_len(rk_.get()));
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk_.get(), 1000);
    }
  }
  topic_.reset();
  rk_.reset();
}

void KafkaTopicWriter::OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  try {
    auto* writer = static_cast<KafkaTopicWriter*>(opaque);
    auto* tag = static_cast<WriterTag*>(message->_private);
    if (writer == nullptr || tag == nullptr || tag->pending == nullptr) return;
    std::lock_guard<std::mutex> lock(writer->mutex_);
    Pending& pending = *tag->pending;
    TopicDelivery& delivery = (*pending.deliveries)[tag->index];
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      delivery.ok = true;
      delivery.partition = message->partition;
      delivery.offset = message->offset;
    } else {
      delivery.ok = false;
      delivery.error = rd_kafka_err2str(message->err);
    }
    if (--pending.remaining == 0) writer->delivered_.notify_all();
  } catch (...) {
    // Nothing may escape into librdkafka.
  }
}

void KafkaTopicWriter::Write(const std::vector<TopicMessage>& messages, std::vector<TopicDelivery>* deliveries) {
  deliveries->assign(messages.size(), TopicDelivery{});
  if (messages.empty()) return;
  rd_kafka_t* rk = nullptr;
  rd_kafka_topic_t* topic = nullptr;
  {
    std::lock_guard<std::mutex> lock(handle_mutex_);
    std::string error;
    if (cancelled_.load()) error = "cancelled";
    if (error.empty() && !EnsureProducer(&error)) error = "no producer: " + error;
    if (!error.empty()) {
      for (auto& delivery : *deliveries) delivery.error = error;
      return;
    }
    rk = rk_.get();
    topic = topic_.get();
  }
  Pending pending;
  pending.deliveries = deliveries;
  pending.tags.reserve(messages.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending.remaining = messages.size();  // lowered below for what is not produced
  }
  size_t produced = 0;
  std::string stopped;  // why producing stopped early: the rest must not overtake a failed one
  for (size_t index = 0; index < messages.size(); ++index) {
    if (stopped.empty() && cancelled_.load()) stopped = "cancelled";
    if (!stopped.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      (*deliveries)[index].error = stopped;
      continue;
    }
    const TopicMessage& message = messages[index];
    std::vector<std::pair<const char*, std::string>> headers;
    headers.reserve(message.headers.size());
    for (const auto& [name, value] : message.headers) headers.emplace_back(name.c_str(), value);
    pending.tags.push_back({&pending, index});
    const rd_kafka_resp_err_t err = ProduceOne(rk, topic, message.key, message.value, headers, &pending.tags.back(),
                                               producer_options_.queue_full_wait);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++produced;
    } else {
      stopped = std::string("produce failed: ") + rd_kafka_err2str(err);
      std::lock_guard<std::mutex> lock(mutex_);
      (*deliveries)[index].error = stopped;
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  pending.remaining -= messages.size() - produced;
  // Every produced message gets exactly one report within message.timeout.ms (or at once after
  // Cancel purges it).
  delivered_.wait(lock, [&] { return pending.remaining == 0; });
}

void KafkaTopicWriter::Cancel() {
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(handle_mutex_);
  if (rk_) rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

bool KafkaTopicWriter::EndOffsets(TopicOffsets* ends, std::string* error) {
  ends->clear();
  std::lock_guard<std::mutex> lock(handle_mutex_);
  if (!EnsureProducer(error)) return false;
  std::map<std::string, int> counts;
  if (!TopicPartitions(rk_.get(), {topic_name_}, options_.request_timeout, &counts, error)) return false;
  const auto it = counts.find(topic_name_);
  if (it == counts.end()) {
    *error = "topic " + topic_name_ + ": missing";
    return false;
  }
  for (int32_t partition = 0; partition < it->second; ++partition) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk_.get(), topic_name_.c_str(), partition, &low, &high, static_cast<int>(options_.request_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = "topic " + topic_name_ + " partition " + std::to_string(partition) + ": watermarks: " +
               rd_kafka_err2str(err);
      return false;
    }
    (*ends)[partition] = high;
  }
  return true;
}

bool KafkaTopicWriter::ReadBack(const TopicOffsets& from, const std::function<void(const TopicRecord&)>& fn,
                                std::string* error) {
  rd_kafka_conf_t* conf = NewKafkaConf(options_,
                                       {{"group.id", options_.group + ".readback"},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"enable.partition.eof", "true"},
                                        {"auto.offset.reset", "earliest"},
                                        {"allow.auto.create.topics", "false"}},
                                       error);
  if (conf == nullptr) return false;
  KafkaHandle rk = NewKafkaHandle(RD_KAFKA_CONSUMER, conf, error);
  if (!rk) return false;
  rd_kafka_poll_set_consumer(rk.get());
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() { rd_kafka_consumer_close(rk); }
  } closer{rk.get()};

  std::map<std::string, int> counts;
  if (!TopicPartitions(rk.get(), {topic_name_}, options_.request_timeout, &counts, error)) return false;
  const auto count = counts.find(topic_name_);
  if (count == counts.end()) {
    *error = "topic " + topic_name_ + ": missing";
    return false;
  }
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  std::map<int32_t, int64_t> stop_at;  // partitions still to read: their end when the call started
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(count->second);
  for (int32_t partition = 0; partition < count->second; ++partition) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk.get(), topic_name_.c_str(), partition, &low, &high, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = "topic " + topic_name_ + " partition " + std::to_string(partition) + ": watermarks: " +
               rd_kafka_err2str(err);
      rd_kafka_topic_partition_list_destroy(list);
      return false;
    }
    const auto wanted = from.find(partition);
    const int64_t start =
        wanted != from.end() && wanted->second >= low && wanted->second <= high ? wanted->second : low;
    if (start >= high) continue;
    rd_kafka_topic_partition_list_add(list, topic_name_.c_str(), partition)->offset = start;
    stop_at[partition] = high;
  }
  if (stop_at.empty()) {
    rd_kafka_topic_partition_list_destroy(list);
    return true;
  }
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka assign failed: ") + rd_kafka_err2str(assigned);
    return false;
  }
  auto last_progress = std::chrono::steady_clock::now();
  while (!stop_at.empty()) {
    Message message(rd_kafka_consumer_poll(rk.get(), 200));
    const auto now = std::chrono::steady_clock::now();
    if (!message) {
      if (now - last_progress > options_.request_timeout) {
        *error = "topic " + topic_name_ + ": reading back stalled with " + std::to_string(stop_at.size()) +
                 " partitions unread";
        return false;
      }
      continue;
    }
    const auto it = stop_at.find(message->partition);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (it != stop_at.end() && message->offset >= it->second) stop_at.erase(it);
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transient (librdkafka retries by itself); a lasting one ends as a stall above.
      spdlog::debug("component=kafka_topic_writer topic={} read_error=\"{}\"", topic_name_,
                    rd_kafka_message_errstr(message.get()));
      continue;
    }
    last_progress = now;
    if (it == stop_at.end() || message->offset >= it->second) continue;
    TopicRecord record;
    record.partition = message->partition;
    record.offset = message->offset;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t idx = 0; rd_kafka_header_get_all(headers, idx, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++idx) {
        record.headers.emplace_back(name, value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
      }
    }
    fn(record);
    if (message->offset + 1 >= it->second) stop_at.erase(it);
  }
  return true;
}

}  // namespace ctrace
