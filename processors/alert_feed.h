// Tells subscribers that new alerts were committed, so live streams can read them from the
// store. It carries only the next alert seq; the alerts themselves are read through
// QueryService::ListAlerts, so a slow subscriber never holds alerts in memory here.
//
// Thread-safety: every method may be called from any thread. Listeners run on the publishing
// thread (the apply loop) and must only hand work off (e.g. post to an executor), never block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace ctrace {

class AlertFeed {
 public:
  using Listener = std::function<void(uint64_t next_seq)>;

  // Called after a commit with the seq the next alert will get.
  void Publish(uint64_t next_seq);
  uint64_t next_seq() const;

  // Returns an id for Unsubscribe.
  uint64_t Subscribe(Listener listener);
  void Unsubscribe(uint64_t id);

 private:
  mutable std::mutex mutex_;
  uint64_t next_seq_ = 1;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Listener> listeners_;
};

}  // namespace ctrace
