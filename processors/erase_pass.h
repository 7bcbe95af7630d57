// One erase pass (the 30-day erase): remove every event that is no longer live from the state
// (recomputing what it supported) and from the embedded log, then compact both stores so that
// no byte of an expired record is left in any file under the data directory.
//
// Thread-safety: run it on the thread that applies events (the engine has one writer).
#pragma once

#include <cstdint>
#include <string>

#include "ingest/embedded_log.h"
#include "model/time.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

struct EraseReport {
  TimeMs cut = 0;                 // everything with an event time before this is gone
  uint64_t erased_events = 0;     // events removed from the state store
  uint64_t erased_log_events = 0; // events removed from the embedded log
  uint64_t erased_alerts = 0;     // alerts naming people whose events have all expired
  int64_t bytes_before = 0;       // data directory size before the pass
  int64_t bytes_after = 0;
  DurationMs duration = 0;        // wall time of the pass
  TimeMs finished_at = 0;         // `now` of the pass

  int64_t bytes_reclaimed() const { return bytes_before > bytes_after ? bytes_before - bytes_after : 0; }
};

class ErasePass {
 public:
  // `log` may be null (Kafka mode: the topics' retention erases the log). The pointers must
  // outlive the pass.
  ErasePass(std::string data_dir, EmbeddedLog* log, StateStore* store, TracingEngine* engine);

  // Erases what is not live at `now`. Returns false and sets *error on failure; a later pass
  // completes what a failed or interrupted one left.
  [[nodiscard]] bool Run(TimeMs now, EraseReport* report, std::string* error);

 private:
  std::string data_dir_;
  EmbeddedLog* log_;
  StateStore* store_;
  TracingEngine* engine_;
};

// The total size of the files under `dir`.
int64_t DirectoryBytes(const std::string& dir);

}  // namespace ctrace
