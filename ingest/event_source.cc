#include "ingest/event_source.h"

#include <algorithm>

namespace ctrace {

LogPositions Advance(LogPositions applied, const std::vector<LogRecord>& records) {
  for (const auto& record : records) {
    auto& next = applied[record.partition];
    next = std::max(next, record.offset + 1);
  }
  return applied;
}

uint64_t Lag(const LogPositions& end, const LogPositions& applied) {
  uint64_t lag = 0;
  for (const auto& [partition, end_offset] : end) {
    const auto it = applied.find(partition);
    const int64_t done = it == applied.end() ? 0 : it->second;
    if (end_offset > done) lag += static_cast<uint64_t>(end_offset - done);
  }
  return lag;
}

void AppliedPositions::Set(LogPositions positions) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    positions_ = std::move(positions);
  }
  changed_.notify_all();
}

LogPositions AppliedPositions::Get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return positions_;
}

bool AppliedPositions::Reached(const LogPositions& required) const {
  for (const auto& [partition, offset] : required) {
    const auto it = positions_.find(partition);
    if ((it == positions_.end() ? 0 : it->second) < offset) return false;
  }
  return true;
}

bool AppliedPositions::WaitFor(const LogPositions& required, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return Reached(required); });
}

}  // namespace ctrace
