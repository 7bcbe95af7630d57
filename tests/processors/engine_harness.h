// A state store, a tracing engine and a query engine over one data directory, driven directly
// (no log, no HTTP) for the processor tests. Close() and Open() simulate a restart.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/clock.h"
#include "processors/query_engine.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

class EngineHarness {
 public:
  EngineHarness(std::filesystem::path dir, TracingParams params, TimeMs now)
      : dir_(std::move(dir)), params_(params), clock_(now) {
    Open();
  }

  void Open() {
    std::string error;
    store_ = StateStore::Open(dir_.string(), StoreOptions{}, &error);
    if (store_ == nullptr) {
      ADD_FAILURE() << error;
      return;
    }
    engine_ = std::make_unique<TracingEngine>(store_.get(), params_);
    query_ = std::make_unique<QueryEngine>(store_.get(), params_, &clock_, StatsSources{});
    const auto applied = store_->Applied();
    position_ = applied.count(0) != 0 ? applied.at(0) : 0;
  }

  void Close() {
    query_.reset();
    engine_.reset();
    store_.reset();
  }

  void Restart() {
    const int64_t position = position_;
    Close();
    Open();
    EXPECT_EQ(position_, position) << "the applied position must survive a restart";
  }

  // Applies `events` as one batch at the clock's now; the log position advances by their count.
  ApplyCounts Apply(const std::vector<Event>& events) {
    ApplyCounts counts;
    std::string error;
    position_ += static_cast<int64_t>(events.size());
    EXPECT_TRUE(engine_->Apply(events, {{0, position_}}, clock_.Now(), &counts, &error)) << error;
    return counts;
  }

  ApplyCounts Apply(const Event& event) { return Apply(std::vector<Event>{event}); }

  // Runs Expire at `now` until nothing expired remains, `max_events` at a time.
  ApplyCounts ExpireAll(TimeMs now, size_t max_events = 10'000, int* rounds = nullptr) {
    clock_.Set(now);
    ApplyCounts total;
    bool more = true;
    int round = 0;
    while (more && round < 100'000) {
      ApplyCounts counts;
      std::string error;
      EXPECT_TRUE(engine_->Expire(now, {{0, position_}}, max_events, &counts, &more, &error)) << error;
      total.expired += counts.expired;
      total.recomputed += counts.recomputed;
      ++round;
    }
    if (rounds != nullptr) *rounds = round;
    return total;
  }

  // The stored state of one person (nullopt: nothing derived about them).
  std::optional<PersonState> Person(std::string_view person) { return store_->Snapshot()->GetPerson(person); }

  std::optional<int> LevelOf(std::string_view person) {
    const auto state = Person(person);
    return state ? state->level : std::nullopt;
  }

  StateStore& store() { return *store_; }
  QueryEngine& query() { return *query_; }
  ManualClock& clock() { return clock_; }
  int64_t position() const { return position_; }

 private:
  std::filesystem::path dir_;
  TracingParams params_;
  ManualClock clock_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<TracingEngine> engine_;
  std::unique_ptr<QueryEngine> query_;
  int64_t position_ = 0;
};

}  // namespace ctrace
