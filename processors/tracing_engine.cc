#include "processors/tracing_engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "processors/case_window.h"
#include "processors/exposure_levels.h"
#include "processors/visit_builder.h"

namespace ctrace {

namespace {

constexpr int kNoLevel = 1000;  // sorts after every real level

int LevelOrNone(const std::optional<int>& level) { return level ? *level : kNoLevel; }

std::string LevelCounter(int level) { return "persons.level." + std::to_string(level); }

}  // namespace

// One batch of work inside one transaction: seeds (people whose own events changed), the
// dirty queue, and the links to recompute.
class TracingEngine::Batch {
 public:
  Batch(StateTxn* txn, const TracingParams& params, ApplyCounts* counts)
      : txn_(txn), params_(params), counts_(counts) {}

  void AddSeed(const std::string& person) { seeds_.insert(person); }

  void Run() {
    for (const auto& person : seeds_) RebuildPerson(person);
    DrainDirty();
    RecomputeLinks();
  }

 private:
  // Recomputes a seed's visits and case from its live events.
  void RebuildPerson(const std::string& person) {
    std::vector<Event> events;
    txn_->ForEachPersonEvent(person, [&](const Event& event) {
      events.push_back(event);
      return true;
    });
    const auto new_visits = BuildVisits(person, events, params_);
    std::vector<VisitRecord> old_visits;
    txn_->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
      old_visits.push_back(visit);
      return true;
    });
    const bool visits_changed = new_visits != old_visits;

    const auto new_case = ComputeCase(events, params_);
    const auto old_state = txn_->GetPerson(person).value_or(PersonState{});
    const bool case_changed = new_case != old_state.case_info;

    if (visits_changed || case_changed) MarkOverlapping(old_visits);
    if (visits_changed) {
      for (const auto& visit : old_visits) {
        if (std::find(new_visits.begin(), new_visits.end(), visit) == new_visits.end()) txn_->DeleteVisit(visit);
      }
      for (const auto& visit : new_visits) {
        if (std::find(old_visits.begin(), old_visits.end(), visit) == old_visits.end()) txn_->PutVisit(visit);
      }
      txn_->AddCounter("visits", static_cast<int64_t>(new_visits.size()) - static_cast<int64_t>(old_visits.size()));
    }
    if (case_changed) {
      PersonState now_state = old_state;
      now_state.case_info = new_case;
      if (new_case) {
        now_state.level = 0;
        now_state.exposed_at = 0;
        now_state.via.clear();
      } else if (old_state.level == 0) {
        now_state.level.reset();
      }
      StorePerson(person, old_state, now_state);
    }
    if (visits_changed || case_changed) MarkOverlapping(new_visits);
    MarkDirty(person, LevelOrNone(txn_->GetPerson(person).value_or(PersonState{}).level));
  }

  void MarkOverlapping(const std::vector<VisitRecord>& visits) {
    ForEachOverlapOf(*txn_, visits, params_, [&](const VisitRecord&, const VisitRecord& other) {
      if (queued_.count(other.person) != 0) return;
      const auto other_state = txn_->GetPerson(other.person);
      MarkDirty(other.person, other_state ? LevelOrNone(other_state->level) : kNoLevel);
    });
  }

  void MarkDirty(const std::string& person, int priority) {
    auto it = queued_.find(person);
    if (it != queued_.end()) {
      if (it->second <= priority) return;
      queue_.erase({it->second, person});
      it->second = priority;
    } else {
      queued_.emplace(person, priority);
    }
    queue_.insert({priority, person});
  }

  void DrainDirty() {
    while (!queue_.empty()) {
      const auto [priority, person] = *queue_.begin();
      queue_.erase(queue_.begin());
      queued_.erase(person);
      Evaluate(person);
    }
  }

  void Evaluate(const std::string& person) {
    ++counts_->recomputed;
    const auto old_state = txn_->GetPerson(person).value_or(PersonState{});
    const auto assignment = EvaluateLevel(*txn_, person, old_state.case_info, params_);
    PersonState now_state = old_state;
    now_state.level = assignment.level;
    now_state.exposed_at = assignment.level && *assignment.level >= 1 ? assignment.exposed_at : 0;
    now_state.via = assignment.via;
    if (now_state == old_state) return;
    StorePerson(person, old_state, now_state);
    if (old_state.level == now_state.level && old_state.exposed_at == now_state.exposed_at) return;

    // Only people above the lower of the two levels can have this person as support.
    const int threshold = std::min(LevelOrNone(old_state.level), LevelOrNone(now_state.level));
    if (threshold >= params_.max_depth) return;
    ForEachOverlap(*txn_, person, params_, [&](const VisitRecord&, const VisitRecord& other) {
      const auto other_state = txn_->GetPerson(other.person);
      const int other_level = other_state ? LevelOrNone(other_state->level) : kNoLevel;
      if (other_level > threshold) MarkDirty(other.person, other_level);
    });
  }

  void StorePerson(const std::string& person, const PersonState& old_state, const PersonState& now_state) {
    txn_->PutPerson(person, old_state, now_state);
    if (old_state.level) txn_->AddCounter(LevelCounter(*old_state.level), -1);
    if (now_state.level) txn_->AddCounter(LevelCounter(*now_state.level), 1);
    txn_->AddCounter("cases", (now_state.case_info ? 1 : 0) - (old_state.case_info ? 1 : 0));
  }

  // Case links touching a seed depend only on the two cases' visits and windows: drop them
  // all, then compute them again from both ends.
  void RecomputeLinks() {
    for (const auto& person : seeds_) {
      std::vector<std::pair<std::string, std::string>> stale;
      txn_->ForEachLinkOut(person, [&](const std::string& to, const std::vector<std::string>&) {
        stale.emplace_back(person, to);
        return true;
      });
      txn_->ForEachLinkIn(person, [&](const std::string& from, const std::vector<std::string>&) {
        stale.emplace_back(from, person);
        return true;
      });
      for (const auto& [from, to] : stale) txn_->DeleteLink(from, to);
    }
    std::map<std::pair<std::string, std::string>, std::set<std::string>> links;
    for (const auto& person : seeds_) {
      const auto state = txn_->GetPerson(person);
      if (!state || !state->case_info) continue;
      const CaseInfo& mine = *state->case_info;
      ForEachOverlap(*txn_, person, params_, [&](const VisitRecord& my_visit, const VisitRecord& other) {
        const auto other_state = txn_->GetPerson(other.person);
        if (!other_state || !other_state->case_info) return;
        const CaseInfo& theirs = *other_state->case_info;
        const auto out = ContactInside(my_visit, other, mine.window, params_);
        if (out && out->start < theirs.sampled_at) links[{person, other.person}].insert(my_visit.venue);
        const auto in = ContactInside(my_visit, other, theirs.window, params_);
        if (in && in->start < mine.sampled_at) links[{other.person, person}].insert(my_visit.venue);
      });
    }
    for (const auto& [pair, venues] : links) {
      txn_->PutLink(pair.first, pair.second, std::vector<std::string>(venues.begin(), venues.end()));
    }
  }

  StateTxn* txn_;
  const TracingParams& params_;
  ApplyCounts* counts_;
  std::set<std::string> seeds_;
  std::set<std::pair<int, std::string>> queue_;
  std::map<std::string, int> queued_;
};

TracingEngine::TracingEngine(StateStore* store, TracingParams params) : store_(store), params_(params) {}

bool TracingEngine::Apply(const std::vector<Event>& events, const LogPositions& applied, TimeMs now,
                          ApplyCounts* counts, std::string* error) {
  auto txn = store_->Begin();
  Batch batch(txn.get(), params_, counts);
  const TimeMs live_from = now - params_.retention;
  std::set<std::string> ids_in_batch;
  for (const auto& event : events) {
    if (event.time < live_from) {
      ++counts->expired;
      continue;
    }
    if (ids_in_batch.count(event.id) != 0 || txn->HasEventId(event.id)) {
      ++counts->duplicates;
      continue;
    }
    ids_in_batch.insert(event.id);
    txn->PutEvent(event);
    txn->AddCounter(std::string("applied.") + std::string(EventTypeName(event.type)), 1);
    batch.AddSeed(event.person);
    ++counts->applied;
  }
  batch.Run();
  return store_->Commit(*txn, applied, error);
}

bool TracingEngine::Expire(TimeMs now, const LogPositions& applied, size_t max_events, ApplyCounts* counts,
                           bool* more, std::string* error) {
  *more = false;
  auto txn = store_->Begin();
  Batch batch(txn.get(), params_, counts);
  std::vector<Event> expired;
  txn->ForEachExpiring(now - params_.retention,
                       [&](TimeMs time, const std::string& person, const std::string& id, EventType type) {
                         if (expired.size() >= max_events) {
                           *more = true;
                           return false;
                         }
                         Event event;
                         event.type = type;
                         event.time = time;
                         event.person = person;
                         event.id = id;
                         expired.push_back(std::move(event));
                         return true;
                       });
  if (expired.empty()) return true;
  for (const auto& event : expired) {
    txn->DeleteEvent(event);
    txn->AddCounter(std::string("applied.") + std::string(EventTypeName(event.type)), -1);
    batch.AddSeed(event.person);
    ++counts->expired;
  }
  batch.Run();
  return store_->Commit(*txn, applied, error);
}

}  // namespace ctrace
