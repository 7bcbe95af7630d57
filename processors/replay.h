// Replay: reads a log (embedded or Kafka, through EventSource) from given positions up to a
// fixed end, and applies the events whose time lies in [from, to) with the TracingEngine into a
// scratch store, as the apply loop of `serve` does: the same engine, batch by batch, each
// batch at the clock's `now`, with an expiry pass after each. Events outside the range or of
// an excluded type only move the positions on; the engine never sees them.
//
// Ownership: the source, engine, store and clock must outlive the Replayer.
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "ingest/event_source.h"
#include "model/clock.h"
#include "model/event.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

struct ReplayOptions {
  // Event-time range [from, to); nullopt: unbounded. Default: everything.
  std::optional<TimeMs> from;
  std::optional<TimeMs> to;
  // The event types replayed; empty: all. Default: all.
  std::set<EventType> types;
  // Where the replay stops, per partition (the log's end when it started). Records at or after
  // a partition's end are not applied. Required.
  LogPositions end;
  // The most records applied in one transaction. Default: 16,384 (as ApplyLoopOptions).
  size_t batch_events = 16'384;
  // The most expired events removed in one transaction. Default: 10,000 (as ApplyLoopOptions).
  size_t expire_batch = 10'000;
  // How long the replay waits for records it knows exist (Kafka fetches) before it gives up
  // with an error naming the partitions not reached. Default: 30 s.
  std::chrono::milliseconds stall_timeout{30'000};
};

// What became of the events of one type.
struct ReplayTypeCounts {
  uint64_t read = 0;           // records of this type read from the log
  uint64_t outside_range = 0;  // event time outside [from, to): not applied
  uint64_t excluded = 0;       // type not selected (--topics): not applied
  uint64_t applied = 0;        // added to the state
  uint64_t duplicate = 0;      // id already applied
  uint64_t too_old = 0;        // already past retention when applied
  bool operator==(const ReplayTypeCounts&) const = default;
};

struct ReplaySummary {
  std::map<std::string, ReplayTypeCounts> by_type;  // event type name ("checkin", ...)
  uint64_t records = 0;    // every record read, including rejected ones
  uint64_t rejected = 0;   // records that are no valid event (Kafka messages that fail validation)
  uint64_t expired = 0;    // applied events that expiry passes removed later (the clock moved on)
  uint64_t batches = 0;
  LogPositions start;      // where reading began
  LogPositions end;        // where it stopped
};

struct ReplayProgress {
  uint64_t records = 0;   // read so far
  uint64_t applied = 0;   // applied so far
  uint64_t position = 0;  // records read so far as positions: sum over partitions of pos - start
  uint64_t total = 0;     // sum over partitions of end - start
};

class Replayer {
 public:
  Replayer(EventSource* source, TracingEngine* engine, StateStore* store, Clock* clock, ReplayOptions options);

  // Reads from `start` (partitions absent: their beginning) to options.end. `progress` (may be
  // empty) is called after every batch. Returns false and sets *error when the log cannot be
  // read, the store cannot be written or the end is not reached within stall_timeout.
  [[nodiscard]] bool Run(const LogPositions& start, const std::function<void(const ReplayProgress&)>& progress,
                         ReplaySummary* summary, std::string* error);

 private:
  bool Reached(const LogPositions& positions) const;
  bool Wanted(const Event& event) const;

  EventSource* source_;
  TracingEngine* engine_;
  StateStore* store_;
  Clock* clock_;
  ReplayOptions options_;
};

}  // namespace ctrace
