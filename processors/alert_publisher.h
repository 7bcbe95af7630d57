// Kafka mode: produces every alert the apply loop commits to the alerts topic (api.md
// "Alerts", docs/kafka.md), in seq order, each as its HTTP JSON with the key KeyOf(alert) and
// the headers "seq" (decimal) and "store" (the store id, below). Runs on its own thread and
// follows the AlertFeed, reading the alerts from the state store, so the apply loop never waits
// for Kafka.
//
// Nothing is lost: an alert is stored before it is produced, and the mark "alerts produced up
// to seq S" only moves once the broker acknowledged every alert up to S (acks=all). At start,
// and after a failed round, production resumes from the mark.
//
// Nothing is produced twice, across crashes too: the mark also holds, per partition, the offset
// after its last message up to S. Before producing after a start or a failure, the publisher
// reads the topic back from those offsets and skips the alerts already there (recognised by
// their "store" and "seq" headers). Within one run the idempotent producer keeps retries from
// writing twice, and its gapless guarantee keeps a failed message from being overtaken by a
// later one of its partition, so one key's alerts stay in seq order.
//
// The store id is a random id made when the mark is first written. A rebuilt state store (its
// directory deleted and re-derived from the event topics) numbers its alerts from 1 again under
// a new id, so consumers can tell the two apart and its alerts are not mistaken for the old ones.
//
// Durability: the mark is written with a synced write before each round of producing, which
// also makes every alert committed before it durable; so an alert on the topic is never one
// that a power loss could take back out of the store.
//
// Erasure: an alert the erase pass removed before it was produced is not produced.
//
// On-disk format (StateStore mark "alerts_produced", DO NOT CHANGE): version byte 1, the store
// id (varint length + bytes), S (varint), the partition count (varint), then (partition,
// next offset) varint pairs.
//
// Thread-safety: Start/Stop from one thread; figures and AppendPrometheus from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "ingest/topic_writer.h"
#include "processors/alert_feed.h"
#include "processors/views.h"
#include "stores/state_store.h"

namespace ctrace {

struct AlertPublisherOptions {
  // The most alerts produced in one round (one Write, then the mark). Default: 1000.
  size_t batch_alerts = 1000;
  // The wait after a failed round; it doubles after each further failure up to
  // max_retry_wait. Default: 500 ms.
  std::chrono::milliseconds retry_wait{500};
  // Default: 30 s.
  std::chrono::milliseconds max_retry_wait{30'000};
  // How often the loop looks at the store when the feed announced nothing. Default: 1 s.
  std::chrono::milliseconds poll_interval{1'000};
};

struct AlertPublisherFigures {
  uint64_t produced = 0;         // alerts the broker acknowledged (this process)
  uint64_t already_present = 0;  // alerts found on the topic when resuming, so not produced again
  uint64_t errors = 0;           // alerts whose delivery failed (each is retried)
  uint64_t failed_rounds = 0;    // rounds that failed (delivery, read-back or mark write)
  uint64_t produced_through = 0; // every alert with a seq up to this one is on the topic
  bool failing = false;          // the last round failed
};

class AlertPublisher {
 public:
  // The JSON of one alert (the API's).
  using FormatFn = std::function<std::string(const AlertView&)>;

  // `store`, `feed` and `writer` must outlive the publisher.
  AlertPublisher(StateStore* store, AlertFeed* feed, TopicWriter* writer, FormatFn format,
                 AlertPublisherOptions options = {});
  // Stop(0).
  ~AlertPublisher();
  AlertPublisher(const AlertPublisher&) = delete;
  AlertPublisher& operator=(const AlertPublisher&) = delete;

  void Start();
  // Keeps producing what is committed for up to `drain`, then gives up on what is in flight
  // (it goes at the next start) and stops.
  void Stop(std::chrono::milliseconds drain);

  // One round on the calling thread (tests, tools; not while started): resumes from the mark if
  // needed and produces up to batch_alerts alerts. *did_work is false when there was nothing to
  // produce. Returns false and sets *error when the round failed.
  [[nodiscard]] bool RunOnce(bool* did_work, std::string* error);

  AlertPublisherFigures figures() const;
  // ctrace_alerts_produced_total, ctrace_alerts_produce_errors_total, ... (Prometheus text).
  void AppendPrometheus(std::string* out) const;

  // The message key: the person for case.* and exposure.*, the venue for venue.hotspot, the
  // cluster id for cluster.*.
  static const std::string& KeyOf(const AlertView& alert);

  // The StateStore mark's name.
  static constexpr const char* kMarkName = "alerts_produced";

 private:
  struct Wake {
    std::mutex mutex;
    std::condition_variable cv;
    bool woken = false;
  };

  void Run();
  bool Round(bool* did_work, std::string* error);
  // Reads the mark (or makes a new one) and the topic after it.
  bool Resume(std::string* error);
  bool SaveMark(std::string* error);
  std::string EncodeMark() const;

  StateStore* store_;
  AlertFeed* feed_;
  TopicWriter* writer_;
  FormatFn format_;
  AlertPublisherOptions options_;
  std::shared_ptr<Wake> wake_;
  uint64_t feed_subscription_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> exited_{false};

  // The loop's (one thread at a time).
  bool resumed_ = false;
  std::string store_id_;
  uint64_t through_ = 0;                                  // see produced_through
  TopicOffsets offsets_;                                  // per partition: after its last alert <= through_
  std::map<uint64_t, std::pair<int32_t, int64_t>> present_;  // seq > through_ already on the topic
  std::string saved_mark_;

  std::atomic<uint64_t> produced_{0};
  std::atomic<uint64_t> already_present_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> failed_rounds_{0};
  std::atomic<uint64_t> produced_through_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace ctrace
