// The Kafka side of ingest: an EventSink that produces each accepted event to its topic
// (kafka_topics.h), keyed by person, as its JSON text, with acks=all and idempotence on, and
// rejected input to the dead-letter topic. Write returns only once the broker acknowledged
// every message of the batch.
//
// Duplicates: a producer cannot see what other producers wrote. An event is answered as a
// duplicate when its id was already applied (the `already_applied` callback, the state store's
// ids in `ctrace serve`) or was written by this process before (a bounded memory of ids).
// Anything else is produced; the apply side drops ids it has applied already, so the state never
// holds an event twice either way.
//
// Positions: every acknowledged message tells its partition and offset; a ticket names the
// positions (kafka_topics.h PartitionKey -> offset + 1) that cover one batch, for wait=applied.
//
// Back-pressure: when librdkafka's queue stays full for `queue_full_wait`, Write answers
// kOverloaded. Messages produced before the queue filled up stay produced (a retry answers them
// as duplicates).
//
// Thread-safety: every method may be called from any thread at once. Delivery reports run on
// an internal thread; nothing throws out of them.
//
// KafkaTopicWriter, below, is the same producer (same settings) for one outgoing topic of keyed
// messages: the alerts topic (processors/alert_publisher.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "ingest/event_sink.h"
#include "ingest/kafka_client.h"
#include "ingest/kafka_topics.h"
#include "ingest/topic_writer.h"

namespace ctrace {

struct KafkaProducerOptions {
  // queue.buffering.max.messages: messages waiting for the broker; past it Write waits, then
  // answers kOverloaded. Default: 100,000.
  int max_queued_messages = 100'000;
  // queue.buffering.max.kbytes: the same in KiB. Default: 262,144 (256 MiB).
  int max_queued_kbytes = 262'144;
  // How long Write waits for room in a full queue before it answers kOverloaded. Default: 2 s.
  std::chrono::milliseconds queue_full_wait{2'000};
  // message.timeout.ms: how long librdkafka retries a message (a broker outage shorter than
  // this loses nothing; the sender waits meanwhile). Default: 120 s.
  std::chrono::milliseconds delivery_timeout{120'000};
  // linger.ms: how long messages wait to form bigger requests. Default: 5 ms.
  int linger_ms = 5;
  // Tickets remembered for wait=applied (oldest forgotten first). Default: 100,000.
  size_t max_tickets = 100'000;
  // Event ids remembered for duplicate answers (oldest forgotten first). Default: 1,000,000.
  size_t max_remembered_ids = 1'000'000;
};

class KafkaSink final : public EventSink {
 public:
  using AppliedIdFn = std::function<bool(std::string_view id)>;

  // Connects lazily (librdkafka); fails only on bad settings. `already_applied` may be empty;
  // it is called from the threads that call Write.
  static std::unique_ptr<KafkaSink> Open(const KafkaOptions& options, const KafkaProducerOptions& producer_options,
                                         AppliedIdFn already_applied, std::string* error);
  // Waits up to delivery_timeout for queued messages, then drops what is left.
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  SinkResult Write(const SinkBatch& batch) override;
  LogPositions WrittenEnd() override;
  bool TicketPositions(uint64_t ticket, LogPositions* positions) override;

  // "<type>.accepted", "<type>.duplicate", "rejected.<reason>" for what this process wrote.
  std::map<std::string, uint64_t> Counters() const;
  // Messages produced and not yet acknowledged.
  int QueueLength();

  struct Pending;  // one Write's messages in flight (kafka_producer.cc)

 private:
  KafkaSink() = default;
  void PollLoop();
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  // Produces one message; waits up to queue_full_wait while the queue is full.
  rd_kafka_resp_err_t Produce(rd_kafka_topic_t* topic, std::string_view key, std::string_view value,
                              const std::vector<std::pair<const char*, std::string>>& headers, void* tag);
  void Remember(const std::string& id);  // mutex_ held

  KafkaOptions options_;
  KafkaProducerOptions producer_options_;
  AppliedIdFn already_applied_;
  KafkaHandle rk_;
  std::vector<KafkaTopicHandle> event_topics_;  // by topic index
  KafkaTopicHandle deadletter_topic_;
  std::thread poller_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mutex_;  // guards the fields below and every Pending
  std::condition_variable delivered_;
  std::unordered_set<std::string> seen_ids_;
  std::deque<std::string> seen_order_;
  std::map<uint64_t, LogPositions> tickets_;
  uint64_t next_ticket_ = 1;
  LogPositions written_end_;
  std::map<std::string, uint64_t> counters_;
};

// A TopicWriter on one Kafka topic, with KafkaSink's settings (acks=all, idempotence, lz4) and
// enable.gapless.guarantee: a message that fails after later ones of its partition succeeded
// raises a fatal error instead of leaving a gap, and the next Write starts a new producer.
// Messages are partitioned by key (librdkafka's default partitioner), so one key's messages keep
// their order in one partition. ReadBack uses a consumer of its own that assigns partitions
// (no group membership, nothing committed).
//
// Thread-safety: as TopicWriter says. Delivery reports run on an internal thread.
class KafkaTopicWriter final : public TopicWriter {
 public:
  // Connects lazily; fails only on bad settings. Returns nullptr and sets *error then.
  static std::unique_ptr<KafkaTopicWriter> Open(const KafkaOptions& options, const KafkaProducerOptions& producer_options,
                                                const std::string& topic, std::string* error);
  // Waits up to delivery_timeout for queued messages (none unless a Write is running).
  ~KafkaTopicWriter() override;
  KafkaTopicWriter(const KafkaTopicWriter&) = delete;
  KafkaTopicWriter& operator=(const KafkaTopicWriter&) = delete;

  void Write(const std::vector<TopicMessage>& messages, std::vector<TopicDelivery>* deliveries) override;
  bool ReadBack(const TopicOffsets& from, const std::function<void(const TopicRecord&)>& fn,
                std::string* error) override;
  bool EndOffsets(TopicOffsets* ends, std::string* error) override;
  void Cancel() override;

  struct Pending;  // one Write's messages in flight (kafka_producer.cc)

 private:
  KafkaTopicWriter() = default;
  // Makes the producer, or a new one after a fatal error. Holds handle_mutex_.
  bool EnsureProducer(std::string* error);
  void CloseProducer();
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  KafkaOptions options_;
  KafkaProducerOptions producer_options_;
  std::string topic_name_;
  std::mutex handle_mutex_;  // guards rk_ and topic_ against Cancel while they are replaced
  KafkaHandle rk_;
  KafkaTopicHandle topic_;
  std::thread poller_;
  std::atomic<bool> stop_poller_{false};
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;  // guards every Pending
  std::condition_variable delivered_;
};

}  // namespace ctrace
