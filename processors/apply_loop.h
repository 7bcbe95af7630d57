// The thread that moves events from the log into the state: read after the applied
// positions, apply a batch, commit it with the new positions, publish them; and, as `now`
// moves, expire what is no longer live.
//
// Thread-safety: Start/Stop from one thread; the loop runs on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ingest/event_source.h"
#include "model/clock.h"
#include "processors/alert_feed.h"
#include "processors/erase_pass.h"
#include "processors/tracing_engine.h"

namespace ctrace {

struct ApplyLoopOptions {
  // The most events applied in one transaction. Default: 16,384 (larger transactions write
  // their sorted keys closer together: about a sixth less CPU per event than 4,096 when
  // catching up; a live feed makes small batches anyway).
  size_t batch_events = 16'384;
  // How long the loop waits for new events when there is nothing to do. Default: 200 ms.
  std::chrono::milliseconds idle_wait{200};
  // The most expired events removed in one transaction. Default: 10,000.
  size_t expire_batch = 10'000;
  // How often an erase pass runs by itself (0: never). Default: 1 hour.
  std::chrono::milliseconds erase_interval{3'600'000};
};

struct EraseOutcome {
  bool ok = false;
  std::string error;
  EraseReport report;
};

class ApplyLoop {
 public:
  // All pointers must outlive the loop; `eraser` (no erase passes) and `alerts` (no alert
  // notifications) may be null.
  ApplyLoop(EventSource* source, StateStore* store, TracingEngine* engine, Clock* clock,
            AppliedPositions* applied, ErasePass* eraser, AlertFeed* alerts, ApplyLoopOptions options = {});
  ~ApplyLoop();

  void Start();
  // Finishes the batch in hand and stops.
  void Stop();

  // Applies everything the source has now, on the calling thread (tools, tests).
  // Returns false and sets *error on failure.
  [[nodiscard]] bool RunOnce(std::string* error);

  // Asks the loop to run an erase pass between two batches; the future is ready when it ran.
  std::future<EraseOutcome> RequestErase();

  // The last erase pass that ran, if any.
  std::optional<EraseReport> LastErase() const;

  uint64_t applied_events() const { return applied_events_.load(); }
  bool healthy() const { return healthy_.load(); }

 private:
  void Run();
  bool Step(bool* did_work, std::string* error);
  void PublishAlerts();
  void RunErase(std::vector<std::promise<EraseOutcome>> waiters);

  EventSource* source_;
  StateStore* store_;
  TracingEngine* engine_;
  Clock* clock_;
  AppliedPositions* applied_;
  ErasePass* eraser_;
  AlertFeed* alerts_;
  ApplyLoopOptions options_;
  mutable std::mutex erase_mutex_;  // guards the two fields below
  std::vector<std::promise<EraseOutcome>> erase_requests_;
  std::optional<EraseReport> last_erase_;
  std::chrono::steady_clock::time_point next_erase_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> applied_events_{0};
  std::thread thread_;
};

}  // namespace ctrace
