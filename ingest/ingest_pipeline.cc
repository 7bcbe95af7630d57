#include "ingest/ingest_pipeline.h"

#include <memory>

namespace ctrace {

IngestPipeline::IngestPipeline(EmbeddedLog* log, Clock* clock, const TracingParams& params,
                               AppliedPositions* applied, IngestOptions options)
    : log_(log), clock_(clock), params_(params), applied_(applied), options_(options) {
  if (options_.event_clock) params_.max_clock_skew = kTimeMax / 4;
}

IngestResult IngestPipeline::Ingest(std::string_view body, BodyFormat format) {
  IngestResult result;
  std::vector<BodyItem> items;
  if (!SplitBody(body, format, &items, &result.message)) {
    result.status = IngestStatus::kBadBody;
    return result;
  }
  if (Lag(log_->End(), applied_->Get()) > options_.max_unapplied) {
    result.status = IngestStatus::kOverloaded;
    result.message = "too many events wait to be applied; retry later";
    return result;
  }
  thread_local std::unique_ptr<EventDecoder> decoder;
  if (!decoder) decoder = std::make_unique<EventDecoder>(options_.decoder);

  const TimeMs now = clock_->Now();
  std::vector<Event> events;
  std::vector<size_t> event_lines;
  std::vector<DeadLetter> dead_letters;
  for (const auto& item : items) {
    auto outcome = decoder->Decode(item.text, now, params_);
    if (!outcome.event) {
      result.rejected.push_back({item.line, outcome.id, outcome.reason});
      dead_letters.push_back({outcome.reason, item.text.substr(0, kDeadLetterRawLimit)});
      continue;
    }
    events.push_back(std::move(*outcome.event));
    event_lines.push_back(item.line);
  }
  std::vector<AppendOutcome> outcomes;
  uint64_t end = 0;
  std::string error;
  if (!log_->Append(events, dead_letters, now, &outcomes, &end, &error)) {
    result.status = IngestStatus::kLogError;
    result.message = error;
    result.rejected.clear();
    return result;
  }
  for (size_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    if (outcomes[event_idx] == AppendOutcome::kDuplicate) {
      ++result.duplicates;
      continue;
    }
    ++result.accepted;
    clock_->Observe(events[event_idx].time);
  }
  result.last_position = end;
  return result;
}

bool IngestPipeline::WaitApplied(uint64_t position, std::chrono::milliseconds timeout) {
  return applied_->WaitFor({{0, static_cast<int64_t>(position)}}, timeout);
}

}  // namespace ctrace
