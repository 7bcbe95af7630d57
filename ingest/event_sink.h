// Where the ingest path writes accepted events and dead letters: the embedded log or Kafka.
// IngestPipeline judges events and answers the sender; a sink makes them durable.
//
// Thread-safety: every method may be called from any thread at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_source.h"
#include "model/event.h"
#include "model/time.h"

namespace ctrace {

struct DeadLetter {
  std::string reason;
  std::string raw;  // cut to kDeadLetterRawLimit bytes
  // The time its retention counts from when that is earlier than the receive time: a
  // `too_old` event is already past retention, so its bytes go at the next erase pass.
  std::optional<TimeMs> retain_from;
};

inline constexpr size_t kDeadLetterRawLimit = 4096;

enum class AppendOutcome : uint8_t { kAccepted, kDuplicate };

// One request's worth of judged input.
struct SinkBatch {
  std::vector<Event> events;          // valid events, in request order
  std::vector<std::string_view> raw;  // the JSON text of each event (same length as events)
  std::vector<DeadLetter> dead_letters;
  TimeMs receive_time = 0;
};

enum class SinkStatus : uint8_t {
  kOk,
  kOverloaded,  // back-pressure: retry later (see the sink for what may already be written)
  kError,       // the log could not be written
};

struct SinkResult {
  SinkStatus status = SinkStatus::kOk;
  std::string error;                   // for a status other than kOk
  std::vector<AppendOutcome> outcomes; // one per event, when kOk
  // What to pass to AppliedPositions() to learn the positions that cover this batch.
  uint64_t ticket = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Makes the batch durable: returns kOk only once every accepted event (and dead letter) is
  // acknowledged by the log. An event whose id the sink knows already is a duplicate and is
  // not written.
  virtual SinkResult Write(const SinkBatch& batch) = 0;
  // The end of each partition as this sink knows it, for back-pressure (lag against the
  // applied positions).
  virtual LogPositions WrittenEnd() = 0;
  // The positions that, once applied, cover everything written under `ticket`. False when the
  // ticket is unknown (too old: sinks remember a bounded number of tickets).
  virtual bool TicketPositions(uint64_t ticket, LogPositions* positions) = 0;
};

}  // namespace ctrace
