// The write side the API and `ctrace ingest` use: judge each event, make the accepted ones
// durable in the log, and tell the sender what happened to each.
//
// Thread-safety: Ingest and WaitApplied may be called from any thread at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_decoder.h"

namespace ctrace {

struct Rejection {
  size_t line = 0;   // 1-based line (NDJSON) or array index + 1
  std::string id;    // empty when it could not be read
  std::string reason;
};

enum class IngestStatus {
  kOk,
  kBadBody,     // the body as a whole is unusable (a JSON array that does not parse)
  kOverloaded,  // back-pressure: nothing was accepted, retry later
  kLogError,    // the log could not be written: nothing was accepted
};

struct IngestResult {
  IngestStatus status = IngestStatus::kOk;
  std::string message;  // for a status other than kOk
  size_t accepted = 0;
  size_t duplicates = 0;
  std::vector<Rejection> rejected;  // in line order
  uint64_t last_position = 0;       // wait for this position to be applied (read-your-writes)
};

class IngestService {
 public:
  virtual ~IngestService() = default;
  // Returns once every accepted event is durable in the log.
  virtual IngestResult Ingest(std::string_view body, BodyFormat format) = 0;
  // Waits until the processors have applied everything up to `position` (as returned in
  // IngestResult::last_position). Returns false on timeout.
  virtual bool WaitApplied(uint64_t position, std::chrono::milliseconds timeout) = 0;
};

}  // namespace ctrace
