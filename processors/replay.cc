#include "processors/replay.h"

#include <array>
#include <thread>
#include <vector>

namespace ctrace {

namespace {

constexpr std::array<EventType, 4> kTypes = {EventType::kCheckin, EventType::kCheckout, EventType::kTestResult,
                                             EventType::kDeclaration};

std::string AppliedCounter(EventType type) { return "applied." + std::string(EventTypeName(type)); }

uint64_t Span(const LogPositions& from, const LogPositions& to) {
  uint64_t total = 0;
  for (const auto& [partition, offset] : to) {
    const auto it = from.find(partition);
    const int64_t base = it == from.end() ? 0 : it->second;
    if (offset > base) total += static_cast<uint64_t>(offset - base);
  }
  return total;
}

}  // namespace

Replayer::Replayer(EventSource* source, TracingEngine* engine, StateStore* store, Clock* clock, ReplayOptions options)
    : source_(source), engine_(engine), store_(store), clock_(clock), options_(std::move(options)) {}

bool Replayer::Reached(const LogPositions& positions) const {
  for (const auto& [partition, end] : options_.end) {
    const auto it = positions.find(partition);
    if ((it == positions.end() ? 0 : it->second) < end) return false;
  }
  return true;
}

bool Replayer::Wanted(const Event& event) const {
  if (options_.from && event.time < *options_.from) return false;
  if (options_.to && event.time >= *options_.to) return false;
  return true;
}

bool Replayer::Run(const LogPositions& start, const std::function<void(const ReplayProgress&)>& progress,
                   ReplaySummary* summary, std::string* error) {
  *summary = {};
  for (const EventType type : kTypes) summary->by_type[std::string(EventTypeName(type))] = {};
  summary->start = start;
  LogPositions positions = start;
  ReplayProgress shown;
  shown.total = Span(start, options_.end);
  auto last_progress = std::chrono::steady_clock::now();
  std::vector<LogRecord> records;
  std::vector<Event> events;
  while (!Reached(positions)) {
    if (!source_->Read(positions, options_.batch_events, &records, error)) return false;
    if (records.empty()) {
      if (std::chrono::steady_clock::now() - last_progress > options_.stall_timeout) {
        *error = "the log did not deliver records up to its end within " +
                 std::to_string(options_.stall_timeout.count()) + " ms (read " + std::to_string(Span(start, positions)) +
                 " of " + std::to_string(shown.total) + " positions)";
        return false;
      }
      source_->WaitForMore(positions, std::chrono::milliseconds(200));
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    events.clear();
    for (const auto& record : records) {
      // Positions move past every record read, so that the source stays where we ask it to
      // read; records at or past the end (written after the replay began) are not counted.
      const auto end = options_.end.find(record.partition);
      auto& position = positions[record.partition];
      position = std::max(position, record.offset + 1);
      if (end == options_.end.end() || record.offset >= end->second) continue;
      ++summary->records;
      if (record.skip) {
        ++summary->rejected;
        continue;
      }
      auto& counts = summary->by_type[std::string(EventTypeName(record.event.type))];
      ++counts.read;
      if (!options_.types.empty() && options_.types.count(record.event.type) == 0) {
        ++counts.excluded;
      } else if (!Wanted(record.event)) {
        ++counts.outside_range;
      } else {
        // As ingest does in `serve` before the apply loop sees the event (event clocks only).
        clock_->Observe(record.event.time);
        events.push_back(record.event);
      }
    }
    const TimeMs now = clock_->Now();
    if (!events.empty()) {
      // The engine's own rule for too-old events, counted here per type; its counters give
      // the applied ones per type, the rest are duplicates.
      const TimeMs live_from = now - engine_->params().retention;
      std::map<EventType, uint64_t> considered, too_old, before;
      for (const auto& event : events) {
        ++considered[event.type];
        if (event.time < live_from) ++too_old[event.type];
      }
      {
        auto view = store_->Snapshot();
        for (const EventType type : kTypes) before[type] = view->GetCounter(AppliedCounter(type));
      }
      ApplyCounts counts;
      if (!engine_->Apply(events, positions, now, &counts, error)) return false;
      auto view = store_->Snapshot();
      for (const auto& [type, total] : considered) {
        auto& type_counts = summary->by_type[std::string(EventTypeName(type))];
        const uint64_t applied = view->GetCounter(AppliedCounter(type)) - before[type];
        type_counts.applied += applied;
        type_counts.too_old += too_old[type];
        type_counts.duplicate += total - too_old[type] - applied;
      }
      shown.applied += counts.applied;
      ++summary->batches;
    }
    for (bool more = true; more;) {
      ApplyCounts counts;
      if (!engine_->Expire(now, positions, options_.expire_batch, &counts, &more, error)) return false;
      summary->expired += counts.expired;
    }
    shown.records = summary->records;
    shown.position = Span(start, positions);
    if (shown.position > shown.total) shown.position = shown.total;
    if (progress) progress(shown);
  }
  summary->end = positions;
  return true;
}

}  // namespace ctrace
