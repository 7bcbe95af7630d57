#include "ingest/ingest_pipeline.h"

#include <memory>

namespace ctrace {

IngestPipeline::IngestPipeline(EventSink* sink, Clock* clock, const TracingParams& params,
                               AppliedPositions* applied, IngestOptions options)
    : sink_(sink), clock_(clock), params_(params), applied_(applied), options_(options) {
  if (options_.event_clock) params_.max_clock_skew = kTimeMax / 4;
}

IngestResult IngestPipeline::Ingest(std::string_view body, BodyFormat format) {
  IngestResult result;
  std::vector<BodyItem> items;
  if (!SplitBody(body, format, &items, &result.message)) {
    result.status = IngestStatus::kBadBody;
    return result;
  }
  if (Lag(sink_->WrittenEnd(), applied_->Get()) > options_.max_unapplied) {
    result.status = IngestStatus::kOverloaded;
    result.message = "too many events wait to be applied; retry later";
    return result;
  }
  // One decoder per thread (its parse buffers are reused), rebuilt when a pipeline with other
  // decoder options runs on the same thread.
  thread_local std::unique_ptr<EventDecoder> decoder;
  thread_local size_t decoder_max_event_bytes = 0;
  if (!decoder || decoder_max_event_bytes != options_.decoder.max_event_bytes) {
    decoder = std::make_unique<EventDecoder>(options_.decoder);
    decoder_max_event_bytes = options_.decoder.max_event_bytes;
  }

  const TimeMs now = clock_->Now();
  SinkBatch batch;
  batch.receive_time = now;
  for (const auto& item : items) {
    auto outcome = decoder->Decode(item.text, now, params_);
    if (!outcome.event) {
      result.rejected.push_back({item.line, outcome.id, outcome.reason});
      batch.dead_letters.push_back({outcome.reason, item.text.substr(0, kDeadLetterRawLimit),
                                    outcome.reason == "too_old" ? std::optional<TimeMs>(now - params_.retention - 1)
                                                                : std::nullopt});
      continue;
    }
    batch.events.push_back(std::move(*outcome.event));
    batch.raw.push_back(item.text);
  }
  SinkResult written = sink_->Write(batch);
  if (written.status != SinkStatus::kOk) {
    result.status = written.status == SinkStatus::kOverloaded ? IngestStatus::kOverloaded : IngestStatus::kLogError;
    result.message = written.error;
    result.rejected.clear();
    return result;
  }
  for (size_t event_idx = 0; event_idx < batch.events.size(); ++event_idx) {
    if (written.outcomes[event_idx] == AppendOutcome::kDuplicate) {
      ++result.duplicates;
      continue;
    }
    ++result.accepted;
    clock_->Observe(batch.events[event_idx].time);
  }
  result.last_position = written.ticket;
  return result;
}

bool IngestPipeline::WaitApplied(uint64_t position, std::chrono::milliseconds timeout) {
  LogPositions required;
  if (!sink_->TicketPositions(position, &required)) return false;
  return applied_->WaitFor(required, timeout);
}

}  // namespace ctrace
