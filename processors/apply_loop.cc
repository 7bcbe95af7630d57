#include "processors/apply_loop.h"

#include <spdlog/spdlog.h>

namespace ctrace {

ApplyLoop::ApplyLoop(EventSource* source, StateStore* store, TracingEngine* engine, Clock* clock,
                     AppliedPositions* applied, ErasePass* eraser, AlertFeed* alerts, ApplyLoopOptions options)
    : source_(source),
      store_(store),
      engine_(engine),
      clock_(clock),
      applied_(applied),
      eraser_(eraser),
      alerts_(alerts),
      options_(options),
      next_erase_(std::chrono::steady_clock::now() + options.erase_interval) {
  applied_->Set(store_->Applied());
  PublishAlerts();
}

void ApplyLoop::PublishAlerts() {
  if (alerts_ != nullptr) alerts_->Publish(store_->Snapshot()->NextAlertSeq());
}

std::future<EraseOutcome> ApplyLoop::RequestErase() {
  std::promise<EraseOutcome> promise;
  auto future = promise.get_future();
  if (eraser_ == nullptr) {
    promise.set_value({false, "erase passes are not enabled", {}});
    return future;
  }
  std::lock_guard<std::mutex> lock(erase_mutex_);
  erase_requests_.push_back(std::move(promise));
  return future;
}

std::optional<EraseReport> ApplyLoop::LastErase() const {
  std::lock_guard<std::mutex> lock(erase_mutex_);
  return last_erase_;
}

void ApplyLoop::RunErase(std::vector<std::promise<EraseOutcome>> waiters) {
  EraseOutcome outcome;
  outcome.ok = eraser_->Run(clock_->Now(), &outcome.report, &outcome.error);
  if (outcome.ok) {
    spdlog::info("component=erase cut={} erased_events={} erased_log_events={} bytes_reclaimed={} duration_ms={}",
                 FormatUtc(outcome.report.cut), outcome.report.erased_events, outcome.report.erased_log_events,
                 outcome.report.bytes_reclaimed(), outcome.report.duration);
    std::lock_guard<std::mutex> lock(erase_mutex_);
    last_erase_ = outcome.report;
  } else {
    spdlog::error("component=erase error=\"{}\"", outcome.error);
  }
  for (auto& waiter : waiters) waiter.set_value(outcome);
}

ApplyLoop::~ApplyLoop() { Stop(); }

void ApplyLoop::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void ApplyLoop::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(erase_mutex_);
  for (auto& request : erase_requests_) request.set_value({false, "the service is stopping", {}});
  erase_requests_.clear();
}

bool ApplyLoop::Step(bool* did_work, std::string* error) {
  *did_work = false;
  const LogPositions from = store_->Applied();
  std::vector<LogRecord> records;
  if (!source_->Read(from, options_.batch_events, &records, error)) return false;
  const TimeMs now = clock_->Now();
  if (!records.empty()) {
    std::vector<Event> events;
    events.reserve(records.size());
    for (const auto& record : records) {
      if (!record.skip) events.push_back(record.event);
    }
    const LogPositions next = Advance(from, records);
    ApplyCounts counts;
    const auto started = std::chrono::steady_clock::now();
    if (!engine_->Apply(events, next, now, &counts, error)) return false;
    spdlog::debug("component=apply events={} recomputed={} ms={}", events.size(), counts.recomputed,
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    applied_events_ += counts.applied;
    applied_->Set(next);
    PublishAlerts();
    *did_work = true;
  }
  bool more = false;
  ApplyCounts counts;
  if (!engine_->Expire(now, store_->Applied(), options_.expire_batch, &counts, &more, error)) return false;
  if (counts.expired > 0) {
    PublishAlerts();
    spdlog::info("component=apply expired_events={} recomputed={}", counts.expired, counts.recomputed);
    *did_work = true;
  }
  return true;
}

bool ApplyLoop::RunOnce(std::string* error) {
  bool did_work = true;
  while (did_work) {
    if (!Step(&did_work, error)) return false;
  }
  return true;
}

void ApplyLoop::Run() {
  while (!stop_) {
    bool did_work = false;
    std::string error;
    if (!Step(&did_work, &error)) {
      healthy_ = false;
      spdlog::error("component=apply error=\"{}\"", error);
      std::this_thread::sleep_for(options_.idle_wait);
      continue;
    }
    healthy_ = true;
    std::vector<std::promise<EraseOutcome>> waiters;
    {
      std::lock_guard<std::mutex> lock(erase_mutex_);
      waiters.swap(erase_requests_);
    }
    const bool scheduled = eraser_ != nullptr && options_.erase_interval.count() > 0 &&
                           std::chrono::steady_clock::now() >= next_erase_;
    if (!waiters.empty() || scheduled) {
      RunErase(std::move(waiters));
      next_erase_ = std::chrono::steady_clock::now() + options_.erase_interval;
      continue;
    }
    if (!did_work) source_->WaitForMore(store_->Applied(), std::min(options_.idle_wait, std::chrono::milliseconds(50)));
  }
}

}  // namespace ctrace
