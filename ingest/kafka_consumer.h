// The Kafka side of the apply loop: an EventSource over the event topics (kafka_topics.h).
//
// Positions are the state store's, never the consumer group's: the consumer assigns itself
// every partition of the three event topics (assign(), no subscribe(): no group rebalances,
// which librdkafka 2.0.2 can get stuck in) at the positions the apply loop asks for, and seeks
// again whenever they differ from where it stands (after a failed apply, or at start). A
// partition's LogPositions key is PartitionKey(topic index, partition). Nothing is committed
// to Kafka: the state and its positions are one atomic RocksDB write, so a crash at any point
// resumes exactly after the last applied message.
//
// Messages are event JSON texts, whoever produced them (ctrace or any other client, e.g.
// kcat): each is decoded and validated as on HTTP ingest, against this process's clock. A
// message that fails is sent to the dead-letter topic (through `dead_letters`) with its reason
// and comes back as a record with `skip` set, so its position still moves on.
//
// Partitions added to a topic while running are picked up at the next start.
//
// Thread-safety: Read and WaitForMore from one thread (the apply loop); End and Reachable from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/event_decoder.h"
#include "ingest/event_sink.h"
#include "ingest/event_source.h"
#include "ingest/kafka_client.h"
#include "ingest/kafka_topics.h"
#include "model/clock.h"
#include "model/params.h"

namespace ctrace {

struct KafkaConsumerOptions {
  // fetch.wait.max.ms: how long the broker holds a fetch for new data. Default: 50 ms.
  int fetch_wait_ms = 50;
  // queued.max.messages.kbytes: prefetched data per partition, KiB. Default: 16,384.
  int max_prefetch_kbytes = 16'384;
  // How often the broker's reachability is probed for Reachable(). Default: 1 s.
  std::chrono::milliseconds probe_interval{1'000};
  // How long one probe may take before the broker counts as unreachable. Default: 2 s.
  std::chrono::milliseconds probe_timeout{2'000};
  // Judge `in_future` against an event clock: nothing is in the future. Default: false.
  bool event_clock = false;
  DecoderOptions decoder;
};

class KafkaSource final : public EventSource {
 public:
  // Reads the partition counts of the event topics (they must exist: CheckTopics first) and
  // starts the reachability probe. `clock` and `dead_letters` must outlive the source.
  // Returns nullptr and sets *error on failure.
  static std::unique_ptr<KafkaSource> Open(const KafkaOptions& options, const KafkaConsumerOptions& consumer_options,
                                           const TracingParams& params, Clock* clock, EventSink* dead_letters,
                                           std::string* error);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  bool Read(const LogPositions& applied, size_t max, std::vector<LogRecord>* records, std::string* error) override;
  void WaitForMore(const LogPositions& applied, std::chrono::milliseconds timeout) override;
  // The high watermark of every assigned partition, as last fetched.
  LogPositions End() override;
  // Whether the last probe reached the cluster.
  bool Reachable() override { return reachable_.load(); }

  // The number of partitions assigned (all partitions of the event topics).
  size_t partitions() const { return partitions_.size(); }

 private:
  struct Partition {
    int topic_idx = 0;
    std::string topic;
    int32_t partition = 0;
    int32_t key = 0;  // PartitionKey
  };
  struct MessageDeleter {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  };
  using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

  KafkaSource() = default;
  // Assigns every partition at `applied` (the beginning where it has no position).
  bool Assign(const LogPositions& applied, std::string* error);
  bool AtPositions(const LogPositions& applied) const;
  void ProbeLoop();

  KafkaOptions options_;
  KafkaConsumerOptions consumer_options_;
  TracingParams params_;
  Clock* clock_ = nullptr;
  EventSink* dead_letters_ = nullptr;
  KafkaHandle rk_;
  std::vector<Partition> partitions_;
  std::vector<std::string> topic_names_;  // by topic index
  std::unique_ptr<EventDecoder> decoder_;

  // The apply loop's side (one thread).
  bool assigned_ = false;
  LogPositions next_;      // the next offset the consumer delivers, per partition key read from
  Message pending_;        // polled by WaitForMore, not yet returned by Read

  std::atomic<bool> reachable_{false};
  std::atomic<bool> stop_{false};
  std::mutex probe_mutex_;
  std::condition_variable probe_wake_;
  std::thread prober_;
};

}  // namespace ctrace
