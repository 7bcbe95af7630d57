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
  Batch(StateTxn* txn, const TracingParams& params, TimeMs now, ApplyCounts* counts)
      : txn_(txn), params_(params), now_(now), counts_(counts) {}

  void AddSeed(const std::string& person) { seeds_.insert(person); }

  // Brings every derived fact up to date with the seeds' events, then records what changed
  // as alerts: one per person, cluster and venue whose state differs from before the batch.
  void Run() {
    for (const auto& person : seeds_) RebuildPerson(person);
    DrainDirty();
    RecomputeLinks();
    EmitPersonAlerts();
    UpdateClusters();
    UpdateHotspots();
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
    if (events.empty()) txn_->PutForget(person);

    const auto new_case = ComputeCase(events, params_);
    const auto old_state = txn_->GetPerson(person).value_or(PersonState{});
    const bool case_changed = new_case != old_state.case_info;
    if (old_state.case_info || new_case) {
      for (const auto& visit : old_visits) touched_venues_.insert(visit.venue);
      for (const auto& visit : new_visits) touched_venues_.insert(visit.venue);
    }

    // The people this person can support (or could before) are those above the lower of its
    // level before and after: only they can see a change of its visits or window.
    const int level_after = new_case ? 0 : (old_state.level == 0 ? kNoLevel : LevelOrNone(old_state.level));
    const int threshold = std::min(LevelOrNone(old_state.level), level_after);
    const bool mark_neighbors = (visits_changed || case_changed) && threshold < params_.max_depth;
    if (mark_neighbors) MarkOverlapping(old_visits, threshold);
    if (visits_changed) {
      const bool supports = IsSupport(old_state);
      for (const auto& visit : old_visits) {
        if (std::find(new_visits.begin(), new_visits.end(), visit) != new_visits.end()) continue;
        txn_->DeleteVisit(visit);
        if (supports) txn_->DeleteSupportVisit(visit);
      }
      for (const auto& visit : new_visits) {
        if (std::find(old_visits.begin(), old_visits.end(), visit) != old_visits.end()) continue;
        txn_->PutVisit(visit);
        if (supports) txn_->PutSupportVisit(visit);
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
    if (mark_neighbors) MarkOverlapping(new_visits, threshold);
    MarkDirty(person, LevelOrNone(txn_->GetPerson(person).value_or(PersonState{}).level));
  }

  // Marks the people met during `visits` whose level is above `threshold`.
  void MarkOverlapping(const std::vector<VisitRecord>& visits, int threshold) {
    ForEachOverlapOf(*txn_, visits, params_, [&](const VisitRecord&, const VisitRecord& other) {
      if (queued_.count(other.person) != 0) return;
      const auto other_state = txn_->GetPerson(other.person);
      const int other_level = other_state ? LevelOrNone(other_state->level) : kNoLevel;
      if (other_level > threshold) MarkDirty(other.person, other_level);
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

  // Whether the person can put others at a level: the support index holds their visits.
  bool IsSupport(const PersonState& state) const { return state.level && *state.level < params_.max_depth; }

  void StorePerson(const std::string& person, const PersonState& old_state, const PersonState& now_state) {
    original_.emplace(person, old_state);  // keeps the first: the state before the batch
    txn_->PutPerson(person, old_state, now_state);
    if (IsSupport(old_state) != IsSupport(now_state)) {
      const bool supports = IsSupport(now_state);
      txn_->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
        if (supports) {
          txn_->PutSupportVisit(visit);
        } else {
          txn_->DeleteSupportVisit(visit);
        }
        return true;
      });
    }
    if (old_state.level) txn_->AddCounter(LevelCounter(*old_state.level), -1);
    if (now_state.level) txn_->AddCounter(LevelCounter(*now_state.level), 1);
    txn_->AddCounter("cases", (now_state.case_info ? 1 : 0) - (old_state.case_info ? 1 : 0));
  }

  // Case links touching a seed depend only on the two cases' visits and windows: drop them
  // all, then compute them again from both ends.
  void EmitPersonAlerts() {
    for (const auto& [person, before] : original_) {
      const auto after = txn_->GetPerson(person).value_or(PersonState{});
      AlertView alert;
      alert.at = now_;
      alert.person = person;
      if (!after.level) {
        if (!before.level) continue;
        alert.type = AlertType::kExposureRetracted;
        alert.was_level = *before.level;
      } else if (*after.level == 0) {
        if (before.level == 0 && before.case_info && after.case_info &&
            before.case_info->sampled_at == after.case_info->sampled_at) {
          continue;
        }
        alert.type = AlertType::kCaseNew;
        alert.sampled_at = after.case_info ? after.case_info->sampled_at : 0;
      } else {
        if (before.level == after.level && before.exposed_at == after.exposed_at && before.via == after.via) continue;
        alert.type = before.level && *before.level >= 1 ? AlertType::kExposureChanged : AlertType::kExposureNew;
        alert.level = *after.level;
        alert.exposed_at = after.exposed_at;
        alert.via = after.via;
      }
      txn_->AppendAlert(alert);
    }
  }

  // Clusters are the connected components of the links. Only components that hold a seed or
  // a member of a seed's old cluster can change; they are found again by walking the links.
  void UpdateClusters() {
    std::set<std::string> start(seeds_.begin(), seeds_.end());
    for (const auto& id : old_cluster_ids_) {
      if (const auto cases = txn_->GetCluster(id)) start.insert(cases->begin(), cases->end());
    }
    std::set<std::string> visited;
    std::set<std::string> old_ids = old_cluster_ids_;
    std::vector<std::vector<std::string>> components;
    for (const auto& first : start) {
      if (visited.count(first) != 0) continue;
      std::vector<std::string> component;
      std::vector<std::string> stack = {first};
      visited.insert(first);
      while (!stack.empty()) {
        const std::string person = stack.back();
        stack.pop_back();
        component.push_back(person);
        if (const auto id = txn_->GetClusterOf(person)) old_ids.insert(*id);
        auto visit = [&](const std::string& other, const std::vector<std::string>&) {
          if (visited.insert(other).second) stack.push_back(other);
          return true;
        };
        txn_->ForEachLinkOut(person, visit);
        txn_->ForEachLinkIn(person, visit);
      }
      std::sort(component.begin(), component.end());
      components.push_back(std::move(component));
    }
    std::set<std::string> new_ids;
    for (const auto& component : components) {
      if (component.size() < 2) {
        if (txn_->GetClusterOf(component.front())) txn_->DeleteClusterOf(component.front());
        continue;
      }
      const std::string& id = component.front();
      new_ids.insert(id);
      if (txn_->GetCluster(id) != component) {
        txn_->PutCluster(id, component);
        AlertView alert;
        alert.at = now_;
        alert.type = AlertType::kClusterChanged;
        alert.id = id;
        alert.cases = component;
        txn_->AppendAlert(alert);
      }
      for (const auto& member : component) {
        if (txn_->GetClusterOf(member) != id) txn_->PutClusterOf(member, id);
      }
    }
    for (const auto& id : old_ids) {
      if (new_ids.count(id) != 0 || !txn_->GetCluster(id)) continue;
      txn_->DeleteCluster(id);
      AlertView alert;
      alert.at = now_;
      alert.type = AlertType::kClusterDissolved;
      alert.id = id;
      txn_->AppendAlert(alert);
    }
  }

  void UpdateHotspots() {
    for (const auto& venue : touched_venues_) {
      const auto cases = HotspotCases(*txn_, venue, now_, params_);
      const auto stored = txn_->GetHotspot(venue);
      if (cases.size() < static_cast<size_t>(params_.hotspot_cases)) {
        if (stored) txn_->DeleteHotspot(venue);
        continue;
      }
      if (stored && stored->cases == cases) continue;
      HotspotView hotspot{venue, cases, stored ? stored->since : now_};
      txn_->PutHotspot(hotspot);
      AlertView alert;
      alert.at = now_;
      alert.type = AlertType::kVenueHotspot;
      alert.venue = venue;
      alert.cases = cases;
      txn_->AppendAlert(alert);
    }
  }

  void RecomputeLinks() {
    for (const auto& person : seeds_) {
      if (const auto id = txn_->GetClusterOf(person)) old_cluster_ids_.insert(*id);
    }
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
      std::vector<VisitRecord> visits;
      txn_->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
        visits.push_back(visit);
        return true;
      });
      // Cases are always in the support index.
      ForEachOverlapOf(*txn_, visits, params_, [&](const VisitRecord& my_visit, const VisitRecord& other) {
        const auto other_state = txn_->GetPerson(other.person);
        if (!other_state || !other_state->case_info) return;
        const CaseInfo& theirs = *other_state->case_info;
        const auto out = ContactInside(my_visit, other, mine.window, params_);
        if (out && out->start < theirs.sampled_at) links[{person, other.person}].insert(my_visit.venue);
        const auto in = ContactInside(my_visit, other, theirs.window, params_);
        if (in && in->start < mine.sampled_at) links[{other.person, person}].insert(my_visit.venue);
      }, /*supporters_only=*/true);
    }
    for (const auto& [pair, venues] : links) {
      txn_->PutLink(pair.first, pair.second, std::vector<std::string>(venues.begin(), venues.end()));
    }
  }

  StateTxn* txn_;
  const TracingParams& params_;
  const TimeMs now_;
  ApplyCounts* counts_;
  std::map<std::string, PersonState> original_;  // each changed person's state before the batch
  std::set<std::string> old_cluster_ids_;
  std::set<std::string> touched_venues_;
  std::set<std::string> seeds_;
  std::set<std::pair<int, std::string>> queue_;
  std::map<std::string, int> queued_;
};

TracingEngine::TracingEngine(StateStore* store, TracingParams params) : store_(store), params_(params) {}

bool TracingEngine::Apply(const std::vector<Event>& events, const LogPositions& applied, TimeMs now,
                          ApplyCounts* counts, std::string* error) {
  auto txn = store_->Begin();
  Batch batch(txn.get(), params_, now, counts);
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
  Batch batch(txn.get(), params_, now, counts);
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

bool TracingEngine::ForgetExpired(TimeMs now, const LogPositions& applied, uint64_t* forgotten,
                                  std::string* error) {
  *forgotten = 0;
  auto txn = store_->Begin();
  std::vector<std::string> persons;
  txn->ForEachForget([&](const std::string& person) {
    persons.push_back(person);
    return true;
  });
  for (const auto& person : persons) *forgotten += txn->ForgetPerson(person);
  *forgotten += txn->DeleteAlertsBefore(now - params_.retention);
  if (persons.empty() && *forgotten == 0) return true;
  return store_->Commit(*txn, applied, error);
}

}  // namespace ctrace
