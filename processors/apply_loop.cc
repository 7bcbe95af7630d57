#include "processors/apply_loop.h"

#include <spdlog/spdlog.h>

namespace ctrace {

ApplyLoop::ApplyLoop(EmbeddedLog* log, StateStore* store, TracingEngine* engine, Clock* clock,
                     AppliedPosition* applied, ApplyLoopOptions options)
    : log_(log), store_(store), engine_(engine), clock_(clock), applied_(applied), options_(options) {
  applied_->Set(store_->AppliedPosition());
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
  const uint64_t from = store_->AppliedPosition();
  std::vector<LogRecord> records;
  if (!log_->Read(from, options_.batch_events, &records, error)) return false;
  const TimeMs now = clock_->Now();
  if (!records.empty()) {
    std::vector<Event> events;
    events.reserve(records.size());
    for (auto& record : records) events.push_back(std::move(record.event));
    const uint64_t next = records.back().position + 1;
    ApplyCounts counts;
    if (!engine_->Apply(events, next, now, &counts, error)) return false;
    applied_events_ += counts.applied;
    applied_->Set(next);
    *did_work = true;
  }
  bool more = false;
  ApplyCounts counts;
  if (!engine_->Expire(now, store_->AppliedPosition(), options_.expire_batch, &counts, &more, error)) return false;
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
    if (!did_work) log_->WaitForMore(store_->AppliedPosition(), options_.idle_wait);
  }
}

}  // namespace ctrace
