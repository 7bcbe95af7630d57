// Where a replay of the Kafka event topics starts and ends: the watermarks of every partition
// of PREFIX.checkins, PREFIX.tests and PREFIX.declarations, and the first offset whose message
// timestamp is at or after a time (offsets-for-times), keyed as LogPositions (PartitionKey).
//
// Message timestamps are produce times (CreateTime), which are not event times: a caller that
// wants the events from T on asks for the offsets at T - max_clock_skew (an event is never
// produced before its own time minus the skew) and filters by event time.
//
// Thread-safety: may be called from any thread; each call makes its own client.
#pragma once

#include <optional>
#include <string>

#include "ingest/event_source.h"
#include "ingest/kafka_client.h"
#include "model/time.h"

namespace ctrace {

struct KafkaReplayRange {
  LogPositions start;  // per partition: the offset for `since`, or the low watermark
  LogPositions end;    // per partition: the high watermark (the next offset to be written)
};

// Fills *range for every partition of the event topics. Without `since`, reading starts at
// each partition's low watermark. Returns false and sets *error when a topic is missing or the
// cluster does not answer within options.request_timeout.
bool KafkaReplayPositions(const KafkaOptions& options, std::optional<TimeMs> since, KafkaReplayRange* range,
                          std::string* error);

}  // namespace ctrace
