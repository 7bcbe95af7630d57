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
//
// Re-evaluations are incremental where the definitions allow it. A person's answer is the best
// level among their contacts with others (tracing §4); when a supporter S changes, a person T
// who did not have S among their best contacts (`via`) keeps every best contact they had, so
// T's new answer is the old one merged with the contacts S offers now. Only when S was in
// T's `via` (or T's own visits lost a contact with someone in it) is T evaluated from scratch.
class TracingEngine::Batch {
 public:
  Batch(StateTxn* txn, const TracingParams& params, TimeMs now, ApplyCounts* counts)
      : txn_(txn), params_(params), now_(now), counts_(counts) {}

  // A person whose events changed in any way: everything of theirs is recomputed.
  void AddSeed(const std::string& person) { seeds_[person].whole = true; }

  // A person who got `event`: a check-in or check-out can only change the visits that start
  // in [time - LongestVisit, time] (tracing §1), so only those are recomputed.
  void AddSeed(const Event& event) {
    auto& span = seeds_[event.person];
    if (event.type != EventType::kCheckin && event.type != EventType::kCheckout) span.whole = true;
    span.from = std::min(span.from, event.time);
    span.to = std::max(span.to, event.time);
  }

  // Brings every derived fact up to date with the seeds' events, then records what changed
  // as alerts: one per person, cluster and venue whose state differs from before the batch.
  //
  // The seeds are handled in phases so that every contact lost is seen on the index as it was
  // before the batch, and every contact gained on the index as it is after it, whatever the
  // order of the seeds.
  void Run() {
    std::vector<SeedChange> changes;
    changes.reserve(seeds_.size());
    for (const auto& [person, span] : seeds_) changes.push_back(LoadSeed(person, span));
    for (const auto& change : changes) MarkBeforeWrite(change);
    for (const auto& change : changes) WriteSeed(change);
    for (const auto& change : changes) MarkAfterWrite(change);
    DrainDirty();
    RecomputeLinks();
    EmitPersonAlerts();
    UpdateClusters();
    UpdateHotspots();
  }

 private:
  // What of a seed's events changed: the whole of them, or check-ins and check-outs with
  // times in [from, to].
  struct SeedSpan {
    bool whole = false;
    TimeMs from = kTimeMax;
    TimeMs to = kTimeMin;
  };

  // A seed's visits and case before and after its events changed (with a span: only the
  // visits that start inside it).
  struct SeedChange {
    std::string person;
    bool no_events = false;
    std::vector<VisitRecord> old_visits;
    std::vector<VisitRecord> new_visits;
    std::vector<VisitRecord> removed;  // old, not new
    std::vector<VisitRecord> added;    // new, not old
    PersonState old_state;
    std::optional<CaseInfo> new_case;
    bool case_changed = false;
    int threshold = kNoLevel;  // only people above this level can see the change
  };

  // What a queued person's re-evaluation has to take into account.
  struct Pending {
    bool full = false;                   // evaluate from scratch
    std::vector<VisitRecord> own_added;  // their own new visits: contacts during them
    std::map<std::string, std::vector<ContactView>> offered;  // by supporter: contacts offered now
  };

  static bool Contains(const std::vector<std::string>& sorted, const std::string& item) {
    return std::binary_search(sorted.begin(), sorted.end(), item);
  }

  // Recomputes a seed's visits and case from its live events (reads only). With a span, only
  // the visits that start inside it (the rest cannot have changed) and no case.
  SeedChange LoadSeed(const std::string& person, const SeedSpan& span) {
    SeedChange change;
    change.person = person;
    std::vector<Event> events;
    auto collect = [&](const Event& event) {
      events.push_back(event);
      return true;
    };
    if (span.whole) {
      txn_->ForEachPersonEvent(person, collect);
      change.no_events = events.empty();
      change.new_visits = BuildVisits(person, events, params_);
      txn_->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
        change.old_visits.push_back(visit);
        return true;
      });
    } else {
      // A visit starting at a in [from, to] ends by the next check-in after a or by a matching
      // check-out in (a, a + max_stay]: those events are read, and one check-in after `to`.
      const TimeMs from = span.from - LongestVisit(params_);
      const TimeMs to = span.to;
      txn_->ForEachPersonEventBetween(person, EventType::kCheckin, from, to + 1, collect);
      txn_->ForEachPersonEventBetween(person, EventType::kCheckin, to + 1, kTimeMax, [&](const Event& event) {
        events.push_back(event);
        return false;
      });
      txn_->ForEachPersonEventBetween(person, EventType::kCheckout, from + 1, to + params_.max_stay + 1, collect);
      for (auto& visit : BuildVisits(person, events, params_)) {
        if (visit.start >= from && visit.start <= to) change.new_visits.push_back(std::move(visit));
      }
      txn_->ForEachPersonVisitBetween(person, from, to + 1, [&](const VisitRecord& visit) {
        change.old_visits.push_back(visit);
        return true;
      });
    }
    for (const auto& visit : change.old_visits) {
      if (std::find(change.new_visits.begin(), change.new_visits.end(), visit) == change.new_visits.end()) {
        change.removed.push_back(visit);
      }
    }
    for (const auto& visit : change.new_visits) {
      if (std::find(change.old_visits.begin(), change.old_visits.end(), visit) == change.old_visits.end()) {
        change.added.push_back(visit);
      }
    }
    change.old_state = txn_->GetPerson(person).value_or(PersonState{});
    change.new_case = span.whole ? ComputeCase(events, params_) : change.old_state.case_info;
    change.case_changed = change.new_case != change.old_state.case_info;
    if (change.old_state.case_info || change.new_case) {
      for (const auto& visit : change.old_visits) touched_venues_.insert(visit.venue);
      for (const auto& visit : change.new_visits) touched_venues_.insert(visit.venue);
    }
    // The people this person can support (or could before) are those above the lower of its
    // level before and after: only they can see a change of its visits or window.
    const int level_before = LevelOrNone(change.old_state.level);
    const int level_after =
        change.new_case ? 0 : (change.old_state.level == 0 ? kNoLevel : level_before);
    change.threshold = change.case_changed ? std::min(level_before, level_after) : level_before;
    return change;
  }

  // Contacts lost, seen on the index before the batch writes anything.
  void MarkBeforeWrite(const SeedChange& change) {
    if (change.case_changed) {
      // A new or changed window: everyone met is evaluated from scratch.
      if (change.threshold < params_.max_depth) MarkOverlappingFull(change.old_visits, change.threshold);
      return;
    }
    if (change.removed.empty()) return;
    if (change.threshold < params_.max_depth) {
      // Those who had this person among their best contacts may have lost them.
      ForEachOverlapOf(*txn_, change.removed, params_, [&](const VisitRecord&, const VisitRecord& other) {
        if (IsFull(other.person)) return;
        const PersonState* other_state = txn_->FindPerson(other.person);
        if (!other_state || LevelOrNone(other_state->level) <= change.threshold) return;
        if (Contains(other_state->via, change.person)) MarkFull(other.person, *other_state->level);
      });
    }
    // The seed itself, when a lost visit met one of its best contacts.
    const auto& state = change.old_state;
    if (state.level && *state.level >= 1 && !IsFull(change.person)) {
      bool lost = false;
      ForEachOverlapOf(*txn_, change.removed, params_, [&](const VisitRecord&, const VisitRecord& other) {
        if (!lost && Contains(state.via, other.person)) lost = true;
      }, /*supporters_only=*/true);
      if (lost) MarkFull(change.person, *state.level);
    }
  }

  void WriteSeed(const SeedChange& change) {
    const std::string& person = change.person;
    if (change.no_events) txn_->PutForget(person);
    if (!change.removed.empty() || !change.added.empty()) {
      const bool supports = IsSupport(change.old_state);
      for (const auto& visit : change.removed) {
        txn_->DeleteVisit(visit);
        if (supports) txn_->DeleteSupportVisit(visit);
      }
      for (const auto& visit : change.added) {
        txn_->PutVisit(visit);
        if (supports) txn_->PutSupportVisit(visit);
      }
      txn_->AddCounter("visits", static_cast<int64_t>(change.new_visits.size()) -
                                     static_cast<int64_t>(change.old_visits.size()));
    }
    if (change.case_changed) {
      const auto& old_state = change.old_state;
      PersonState now_state = old_state;
      now_state.case_info = change.new_case;
      if (change.new_case) {
        now_state.level = 0;
        now_state.exposed_at = 0;
        now_state.via.clear();
      } else if (old_state.level == 0) {
        now_state.level.reset();
      }
      StorePerson(person, old_state, now_state);
    }
  }

  // Contacts gained, seen on the index after the batch's visits are written.
  void MarkAfterWrite(const SeedChange& change) {
    const auto state = txn_->GetPerson(change.person).value_or(PersonState{});
    const int level = LevelOrNone(state.level);
    if (change.case_changed) {
      if (change.threshold < params_.max_depth) MarkOverlappingFull(change.new_visits, change.threshold);
      MarkFull(change.person, level);
      return;
    }
    if (change.added.empty()) return;
    if (change.threshold < params_.max_depth) Offer(change.person, state, change.added, change.threshold, false);
    if (level == 0 || IsFull(change.person)) return;
    auto& own = Enqueue(change.person, level).own_added;
    own.insert(own.end(), change.added.begin(), change.added.end());
  }

  // Marks the people met during `visits` whose level is above `threshold` for evaluation from
  // scratch.
  void MarkOverlappingFull(const std::vector<VisitRecord>& visits, int threshold) {
    ForEachOverlapOf(*txn_, visits, params_, [&](const VisitRecord&, const VisitRecord& other) {
      if (IsFull(other.person)) return;
      const PersonState* other_state = txn_->FindPerson(other.person);
      const int other_level = other_state ? LevelOrNone(other_state->level) : kNoLevel;
      if (other_level > threshold) MarkFull(other.person, other_level);
    });
  }

  // `person`, now in `state`, meets the people above `threshold` during `visits` and offers
  // them the contacts it can pass exposure on through. With `state_changed` (its level or
  // window moved: every contact it offered before is void) those that had it among their best
  // contacts are evaluated from scratch and the others' earlier offers from it are replaced;
  // otherwise (new visits, same state) the offers add to what it offered before.
  void Offer(const std::string& person, const PersonState& state, const std::vector<VisitRecord>& visits,
             int threshold, bool state_changed) {
    const auto window = OnwardWindow(state, params_);
    const bool can_offer = window && state.level && *state.level < params_.max_depth;
    struct Offered {
      bool open = false;  // offered to (not evaluated from scratch, not at or below threshold)
      int level = kNoLevel;
      std::vector<ContactView> contacts;
    };
    std::map<std::string, Offered> offers;
    ForEachOverlapOf(*txn_, visits, params_, [&](const VisitRecord& mine, const VisitRecord& other) {
      auto it = offers.find(other.person);
      if (it == offers.end()) {
        Offered entry;
        if (!IsFull(other.person)) {
          const PersonState* other_state = txn_->FindPerson(other.person);
          entry.level = other_state ? LevelOrNone(other_state->level) : kNoLevel;
          if (entry.level > threshold) {
            if (state_changed && other_state && Contains(other_state->via, person)) {
              MarkFull(other.person, entry.level);
            } else {
              entry.open = true;
            }
          }
        }
        it = offers.emplace(other.person, std::move(entry)).first;
      }
      if (!it->second.open || !can_offer) return;
      const auto contact = ContactInside(other, mine, *window, params_);
      if (contact) it->second.contacts.push_back({person, *state.level, mine.venue, contact->start, contact->end});
    });
    for (auto& [other, entry] : offers) {
      if (!entry.open || IsFull(other)) continue;
      if (state_changed) {
        auto pending = pending_.find(other);
        const bool had_offer = pending != pending_.end() && pending->second.offered.count(person) != 0;
        if (entry.contacts.empty() && !had_offer) continue;
        Enqueue(other, entry.level).offered[person] = std::move(entry.contacts);
      } else if (!entry.contacts.empty()) {
        auto& offered = Enqueue(other, entry.level).offered[person];
        offered.insert(offered.end(), entry.contacts.begin(), entry.contacts.end());
      }
    }
  }

  bool IsFull(const std::string& person) const {
    auto it = pending_.find(person);
    return it != pending_.end() && it->second.full;
  }

  void MarkFull(const std::string& person, int priority) {
    auto& pending = Enqueue(person, priority);
    pending.full = true;
    pending.own_added.clear();
    pending.offered.clear();
  }

  Pending& Enqueue(const std::string& person, int priority) {
    auto it = queued_.find(person);
    if (it == queued_.end()) {
      queued_.emplace(person, priority);
      queue_.insert({priority, person});
    } else if (it->second > priority) {
      queue_.erase({it->second, person});
      it->second = priority;
      queue_.insert({priority, person});
    }
    return pending_[person];
  }

  void DrainDirty() {
    while (!queue_.empty()) {
      const auto [priority, person] = *queue_.begin();
      queue_.erase(queue_.begin());
      queued_.erase(person);
      auto it = pending_.find(person);
      Pending pending;
      if (it != pending_.end()) {
        pending = std::move(it->second);
        pending_.erase(it);
      }
      Evaluate(person, pending);
    }
  }

  void Evaluate(const std::string& person, const Pending& pending) {
    ++counts_->recomputed;
    const auto old_state = txn_->GetPerson(person).value_or(PersonState{});
    PersonState now_state = old_state;
    if (pending.full || old_state.case_info) {
      const auto assignment = EvaluateLevel(*txn_, person, old_state.case_info, params_);
      now_state.level = assignment.level;
      now_state.exposed_at = assignment.level && *assignment.level >= 1 ? assignment.exposed_at : 0;
      now_state.via = assignment.via;
    } else {
      // The stored answer still holds; merge in the contacts gained.
      ExposureCandidates found;
      found.best_level = params_.max_depth + 1;
      if (!pending.own_added.empty()) found = CollectCandidates(*txn_, pending.own_added, params_);
      for (const auto& [supporter, contacts] : pending.offered) {
        for (const auto& contact : contacts) {
          const int level = contact.level + 1;
          if (level > found.best_level) continue;
          if (level < found.best_level) {
            found.best_level = level;
            found.contacts.clear();
          }
          found.contacts.push_back(contact);
        }
      }
      if (found.contacts.empty()) return;
      const int old_level = old_state.level ? *old_state.level : params_.max_depth + 1;
      if (found.best_level > old_level) return;
      const auto gained = AssignmentFrom(std::move(found), params_);
      if (!gained.level) return;
      now_state.level = gained.level;
      if (*gained.level < old_level) {
        now_state.exposed_at = gained.exposed_at;
        now_state.via = gained.via;
      } else {
        now_state.exposed_at = std::min(old_state.exposed_at, gained.exposed_at);
        std::vector<std::string> via;
        std::set_union(old_state.via.begin(), old_state.via.end(), gained.via.begin(), gained.via.end(),
                       std::back_inserter(via));
        now_state.via = std::move(via);
      }
    }
    if (now_state == old_state) return;
    StorePerson(person, old_state, now_state);
    if (old_state.level == now_state.level && old_state.exposed_at == now_state.exposed_at) return;

    // Only people above the lower of the two levels can have this person as support.
    const int threshold = std::min(LevelOrNone(old_state.level), LevelOrNone(now_state.level));
    if (threshold >= params_.max_depth) return;
    std::vector<VisitRecord> visits;
    txn_->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
      visits.push_back(visit);
      return true;
    });
    Offer(person, now_state, visits, threshold, /*state_changed=*/true);
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
    std::set<std::string> start;
    for (const auto& [person, span] : seeds_) start.insert(person);
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
    for (const auto& [person, span] : seeds_) {
      if (const auto id = txn_->GetClusterOf(person)) old_cluster_ids_.insert(*id);
    }
    for (const auto& [person, span] : seeds_) {
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
    for (const auto& [person, span] : seeds_) {
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
        const PersonState* other_state = txn_->FindPerson(other.person);
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
  std::map<std::string, SeedSpan> seeds_;
  std::set<std::pair<int, std::string>> queue_;
  std::map<std::string, int> queued_;
  std::map<std::string, Pending> pending_;  // what each queued person's evaluation must see
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
    batch.AddSeed(event);
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
  *forgotten += txn->ForgetPersons(persons);
  *forgotten += txn->DeleteAlertsBefore(now - params_.retention);
  if (persons.empty() && *forgotten == 0) return true;
  return store_->Commit(*txn, applied, error);
}

}  // namespace ctrace
