// The embedded event log: the durable, append-only source of truth on one machine, in a
// RocksDB instance under DATA/log. An event is acknowledged only once its write is fsynced.
//
// Column families and key layouts (on-disk format, DO NOT CHANGE; BE = big-endian):
//   log         position(8 BE)                      -> EncodeEvent(event)
//   ids         event id                            -> position(8 BE)        (duplicates)
//   by_time     time(8 BE, sign flipped) position   -> ""                    (erase by event time)
//   deadletter  receive_time(8 BE) seq(8 BE)        -> reason \0 raw bytes (<= 4 KiB)
//   default     "end" -> next position; "dlseq" -> next dead-letter seq; "count/<name>" -> uint64
//
// Thread-safety: every method may be called from any thread. Appends are serialized.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_sink.h"
#include "ingest/event_source.h"
#include "model/event.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ctrace {

struct LogOptions {
  // Compress log files (lz4). Default: true.
  bool compression = true;
  // fsync each append before acknowledging. Default: true. Only tests and benchmarks turn it off.
  bool sync = true;
  // Open an existing log read-only (replays and audits): nothing is written to the directory
  // and Append fails. It takes no lock, so it also opens the log of a running service, as it
  // stands at the moment of opening. Default: false.
  bool read_only = false;
};

class EmbeddedLog final : public EventSource, public EventSink {
 public:
  // Opens or creates (with options.read_only: opens an existing) log in `dir`. Returns nullptr
  // and sets *error on failure (e.g. the directory is locked by a running service).
  static std::unique_ptr<EmbeddedLog> Open(const std::string& dir, const LogOptions& options,
                                           std::string* error);
  ~EmbeddedLog();
  EmbeddedLog(const EmbeddedLog&) = delete;
  EmbeddedLog& operator=(const EmbeddedLog&) = delete;

  // Appends `events` durably, in order, as one write: an event whose id is already in the log
  // (or earlier in `events`) is a duplicate and is not written. Also stores `dead_letters`
  // (received at `receive_time`) and the outcome counters in the same write. On success fills
  // *outcomes (one per event) and *end (the next position after the last written event).
  [[nodiscard]] bool Append(const std::vector<Event>& events, const std::vector<DeadLetter>& dead_letters,
                            TimeMs receive_time, std::vector<AppendOutcome>* outcomes, uint64_t* end,
                            std::string* error);

  // EventSink: Append as one write; the ticket is the end position after it (partition 0).
  SinkResult Write(const SinkBatch& batch) override;
  LogPositions WrittenEnd() override { return End(); }
  bool TicketPositions(uint64_t ticket, LogPositions* positions) override;

  // EventSource, on partition 0. A record that does not decode is a read error.
  bool Read(const LogPositions& applied, size_t max, std::vector<LogRecord>* records,
            std::string* error) override;
  void WaitForMore(const LogPositions& applied, std::chrono::milliseconds timeout) override;
  LogPositions End() override { return {{0, static_cast<int64_t>(NextPosition())}}; }
  bool Reachable() override { return true; }

  // The next position to be written.
  uint64_t NextPosition() const;

  // The outcome counters: "<type>.accepted", "<type>.duplicate", "rejected.<reason>".
  std::map<std::string, uint64_t> Counters() const;

  // The dead letters, oldest first (for tests and audits).
  std::vector<DeadLetter> DeadLetters();

  // Erases every event whose time is before `cut` and every dead letter received before it,
  // then compacts so that no byte of them remains in the log's files. Sets *erased to the
  // number of events erased. Returns false and sets *error on failure.
  [[nodiscard]] bool EraseBefore(TimeMs cut, uint64_t* erased, std::string* error);

  // The earliest event time in the log; nullopt when it is empty.
  std::optional<TimeMs> OldestEventTime();

  // Whether some live file of the time-keyed `by_time` column family holds only times before
  // `cut` (it should not once an erase pass has run).
  bool AnyFileWhollyBefore(TimeMs cut);

 private:
  EmbeddedLog() = default;
  struct Handles;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Handles> handles_;
  LogOptions options_;

  mutable std::mutex mutex_;  // guards the fields below and serializes appends
  std::condition_variable appended_;
  uint64_t end_ = 0;
  uint64_t dead_letter_seq_ = 0;
  std::map<std::string, uint64_t> counters_;
};

}  // namespace ctrace
