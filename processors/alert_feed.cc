#include "processors/alert_feed.h"

#include <vector>

namespace ctrace {

void AlertFeed::Publish(uint64_t next_seq) {
  std::vector<Listener> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (next_seq <= next_seq_) return;
    next_seq_ = next_seq;
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) listener(next_seq);
}

uint64_t AlertFeed::next_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_seq_;
}

uint64_t AlertFeed::Subscribe(Listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void AlertFeed::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.erase(id);
}

}  // namespace ctrace
