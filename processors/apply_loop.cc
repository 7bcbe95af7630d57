#include "processors/apply_loop.h"

#include <spdlog/spdlog.h>

namespace ctrace {

ApplyLoop::ApplyLoop(EventSource* source, StateStore* store, TracingEngine* engine, Clock* clock,
                     AppliedPositions* applied, ApplyLoopOptions options)
    : source_(source), store_(store), engine_(engine), clock_(clock), applied_(applied), options_(options) {
  applied_->Set(store_->Applied());
}

ApplyLoop::~ApplyLoop() { Stop(); }

void ApplyLoop::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void ApplyLoop::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
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
    for (const auto& record : records) events.push_back(record.event);
    const LogPositions next = Advance(from, records);
    ApplyCounts counts;
    if (!engine_->Apply(events, next, now, &counts, error)) return false;
    applied_events_ += counts.applied;
    applied_->Set(next);
    *did_work = true;
  }
  bool more = false;
  ApplyCounts counts;
  if (!engine_->Expire(now, store_->Applied(), options_.expire_batch, &counts, &more, error)) return false;
  if (counts.expired > 0) {
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
    if (!did_work) source_->WaitForMore(store_->Applied(), options_.idle_wait);
  }
}

}  // namespace ctrace
