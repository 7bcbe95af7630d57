// The ingest path: split a body, judge each event, write the accepted ones to the log (the
// embedded log, fsynced, or Kafka, acknowledged) with the rejected ones as dead letters, and
// answer per event. Which log is behind the EventSink makes no difference here.
//
// Thread-safety: Ingest and WaitApplied may be called from any thread at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "ingest/event_sink.h"
#include "ingest/event_source.h"
#include "ingest/ingest_service.h"
#include "model/clock.h"
#include "model/params.h"

namespace ctrace {

struct IngestOptions {
  // The most events that may sit in the log unapplied before ingest answers "overloaded".
  // Default: 2,000,000.
  uint64_t max_unapplied = 2'000'000;
  // Judge events against an event-driven clock: the largest event time seen is `now`, so
  // nothing is "in the future". Default: false.
  bool event_clock = false;
  DecoderOptions decoder;
};

class IngestPipeline final : public IngestService {
 public:
  // `sink`, `clock` and `applied` must outlive the pipeline.
  IngestPipeline(EventSink* sink, Clock* clock, const TracingParams& params, AppliedPositions* applied,
                 IngestOptions options = {});

  IngestResult Ingest(std::string_view body, BodyFormat format) override;
  bool WaitApplied(uint64_t position, std::chrono::milliseconds timeout) override;

 private:
  EventSink* sink_;
  Clock* clock_;
  TracingParams params_;
  AppliedPositions* applied_;
  IngestOptions options_;
};

}  // namespace ctrace
