// What the apply loop reads events from: the embedded log or Kafka. Processors cannot tell
// them apart.
//
// A position is, for each partition of the log (the embedded log has one, partition 0), the
// next offset to read. The state store keeps the applied positions in the same atomic write
// as the state they produced, so a restart resumes exactly where the state stands.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "model/event.h"

namespace ctrace {

using LogPositions = std::map<int32_t, int64_t>;  // partition -> next offset

struct LogRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  Event event;
  // Set when the source could not make an event of the record (a Kafka message that does not
  // pass validation, already sent to the dead letters): it only moves the position on.
  bool skip = false;
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Reads up to `max` records that come after `applied`, in an order that keeps each
  // partition's order. Returns false and sets *error when the log cannot be read.
  [[nodiscard]] virtual bool Read(const LogPositions& applied, size_t max, std::vector<LogRecord>* records,
                                  std::string* error) = 0;
  // Waits until there may be records after `applied`, or `timeout` passes.
  virtual void WaitForMore(const LogPositions& applied, std::chrono::milliseconds timeout) = 0;
  // The end of each partition as last known (for lag figures).
  virtual LogPositions End() = 0;
  // Whether the log is reachable now (for /readyz).
  virtual bool Reachable() = 0;
};

// Positions after `records` were applied on top of `applied`.
LogPositions Advance(LogPositions applied, const std::vector<LogRecord>& records);

// The sum over partitions of end − applied.
uint64_t Lag(const LogPositions& end, const LogPositions& applied);

// The applied positions, published by the apply loop, awaited by ingest for read-your-writes.
// Thread-safe.
class AppliedPositions {
 public:
  void Set(LogPositions positions);
  LogPositions Get() const;
  // Waits until every partition in `required` is applied up to its offset, or the timeout.
  bool WaitFor(const LogPositions& required, std::chrono::milliseconds timeout);

 private:
  bool Reached(const LogPositions& required) const;  // mutex_ held
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  LogPositions positions_;
};

}  // namespace ctrace
