// The stateful processor: applies events in log order to the state store and keeps every
// derived fact of tracing §1–§5 up to date incrementally.
//
// After an event changes a person's visits or case, the people whose answer may change are
// marked dirty and recomputed lowest level first from the stored levels of the people they
// met; whoever's level or exposure time changes marks the people they met in turn. A level is
// only ever supported by strictly lower levels, so this converges to the one assignment the
// definitions give, for insertions and retractions alike.
//
// Thread-safety: one thread (the apply loop) calls Apply and Expire.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/event.h"
#include "model/params.h"
#include "stores/state_store.h"

namespace ctrace {

struct ApplyCounts {
  uint64_t applied = 0;     // events added to the state
  uint64_t duplicates = 0;  // events whose id was already applied
  uint64_t expired = 0;     // events already past retention when applied, or removed by Expire
  uint64_t recomputed = 0;  // level evaluations run
};

class TracingEngine {
 public:
  // `store` must outlive the engine.
  TracingEngine(StateStore* store, TracingParams params);

  // Applies `events` (in log order) as of `now` and commits them with `applied` in one
  // atomic write. Returns false and sets *error when the store cannot be written; nothing of
  // the batch is then applied.
  [[nodiscard]] bool Apply(const std::vector<Event>& events, const LogPositions& applied, TimeMs now,
                           ApplyCounts* counts, std::string* error);

  // Removes the events that are no longer live at `now` (time < now - retention), up to
  // `max_events` of them, and recomputes what they supported; commits with `applied`
  // unchanged. Sets *more when expired events remain.
  [[nodiscard]] bool Expire(TimeMs now, const LogPositions& applied, size_t max_events, ApplyCounts* counts,
                            bool* more, std::string* error);

  // Deletes the alerts that name people whose events have all expired (marked when their
  // last event went), committing with `applied` unchanged. Sets *forgotten to how many went.
  // Also deletes every alert made before `now - retention` (it reflects events that have
  // expired since).
  [[nodiscard]] bool ForgetExpired(TimeMs now, const LogPositions& applied, uint64_t* forgotten,
                                   std::string* error);

  const TracingParams& params() const { return params_; }

 private:
  class Batch;
  StateStore* store_;
  TracingParams params_;
};

}  // namespace ctrace
