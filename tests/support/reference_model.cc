#include "tests/support/reference_model.h"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

namespace ctrace::test_support {

ReferenceModel::ReferenceModel(ReferenceParams params, Millis now)
    : params_(std::move(params)), now_(now) {}

RefIngestOutcome ReferenceModel::Ingest(const std::vector<std::string>& lines) {
  RefIngestOutcome out;
  for (size_t i = 0; i < lines.size(); ++i) {
    RefJudgement j = JudgeLine(lines[i], params_, now_);
    if (!j.event) {
      out.rejected.push_back(RefRejection{static_cast<int>(i + 1), j.id, j.reason});
      continue;
    }
    if (!accepted_ids_.insert(j.event->id).second) {
      ++out.duplicates;
      continue;
    }
    ++out.accepted;
    accepted_.push_back(std::move(*j.event));
    dirty_ = true;
  }
  return out;
}

std::vector<RefEvent> ReferenceModel::LiveEvents() const {
  std::vector<RefEvent> live;
  for (const RefEvent& ev : accepted_) {
    if (ev.EventTime() >= now_ - params_.retention) live.push_back(ev);
  }
  return live;
}

std::set<std::string> ReferenceModel::Persons() const {
  std::set<std::string> out;
  for (const RefEvent& ev : LiveEvents()) out.insert(ev.person);
  return out;
}

std::set<std::string> ReferenceModel::Venues() const {
  std::set<std::string> out;
  for (const RefEvent& ev : LiveEvents()) {
    if (!ev.venue.empty()) out.insert(ev.venue);
  }
  return out;
}

void ReferenceModel::Derive() {
  if (!dirty_) return;
  DeriveVisits();
  DeriveCases();
  std::map<std::string, RefWindow> seeds;
  for (const RefCase& c : cases_) seeds[c.person] = c.window;
  levels_ = Assign(seeds, params_.max_depth);
  dirty_ = false;
}

// §1, literally: per person, check-ins ordered by (ts, id); n = the next one's ts.
void ReferenceModel::DeriveVisits() {
  const std::vector<RefEvent> live = LiveEvents();
  std::map<std::string, std::vector<const RefEvent*>> checkins;
  std::vector<const RefEvent*> checkouts;
  for (const RefEvent& ev : live) {
    if (ev.type == RefEventType::kCheckin) checkins[ev.person].push_back(&ev);
    if (ev.type == RefEventType::kCheckout) checkouts.push_back(&ev);
  }
  visits_.clear();
  for (auto& [person, list] : checkins) {
    std::sort(list.begin(), list.end(), [](const RefEvent* a, const RefEvent* b) {
      return std::tie(a->ts, a->id) < std::tie(b->ts, b->id);
    });
    for (size_t i = 0; i < list.size(); ++i) {
      const RefEvent& c = *list[i];
      const Millis a = c.ts;
      const Millis n = i + 1 < list.size() ? list[i + 1]->ts : kMsInfinity;
      const Millis latest = std::min(n, a + params_.max_stay);
      std::optional<Millis> checkout;
      for (const RefEvent* co : checkouts) {
        if (co->person == person && co->venue == c.venue && a < co->ts && co->ts <= latest) {
          checkout = checkout ? std::min(*checkout, co->ts) : co->ts;
        }
      }
      const Millis end = checkout ? *checkout : std::min(a + params_.default_stay, n);
      if (end <= a) continue;  // zero length: ignored
      visits_.push_back(RefVisit{person, c.venue, a, end, checkout.has_value()});
    }
  }
  std::sort(visits_.begin(), visits_.end(), [](const RefVisit& x, const RefVisit& y) {
    return std::tie(x.person, x.start, x.venue) < std::tie(y.person, y.start, y.venue);
  });
  visits_by_person_.clear();
  visits_by_venue_.clear();
  for (size_t i = 0; i < visits_.size(); ++i) {
    visits_by_person_[visits_[i].person].push_back(i);
    visits_by_venue_[visits_[i].venue].push_back(i);
  }
}

// §2 windows, then §5 links.
void ReferenceModel::DeriveCases() {
  const std::vector<RefEvent> live = LiveEvents();
  std::map<std::string, const RefEvent*> index_tests;
  for (const RefEvent& ev : live) {
    if (ev.type != RefEventType::kTestResult || !ev.positive) continue;
    const RefEvent*& best = index_tests[ev.person];
    if (best == nullptr || std::tie(ev.sampled_at, ev.id) < std::tie(best->sampled_at, best->id)) {
      best = &ev;
    }
  }
  cases_.clear();
  for (const auto& [person, test] : index_tests) {
    const Millis s = test->sampled_at;
    RefCase c;
    c.person = person;
    c.sampled_at = s;
    c.resulted_at = test->resulted_at;
    for (const RefEvent& ev : live) {
      if (ev.type != RefEventType::kDeclaration || ev.person != person || !ev.onset) continue;
      if (*ev.onset < s - params_.onset_lookback || *ev.onset > s) continue;
      c.onset = c.onset ? std::min(*c.onset, *ev.onset) : *ev.onset;
    }
    c.window.start = std::min(s, c.onset.value_or(s)) - params_.infectious_lead;
    c.window.end = test->resulted_at ? *test->resulted_at : s + params_.isolation_lag;
    cases_.push_back(std::move(c));
  }
  for (RefCase& c2 : cases_) {
    for (const RefCase& c1 : cases_) {
      if (c1.person == c2.person) continue;
      Millis t = 0;
      if (EarliestContact(c1.person, c2.person, c1.window, &t) && t < c2.sampled_at) {
        c2.linked_from.push_back(c1.person);
      }
    }
  }
  // Clusters: connected components of the links, taken as undirected.
  std::map<std::string, std::string> parent;
  for (const RefCase& c : cases_) parent[c.person] = c.person;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) {
    return parent[x] == x ? x : parent[x] = find(parent[x]);
  };
  for (const RefCase& c : cases_) {
    for (const std::string& from : c.linked_from) {
      std::string a = find(from), b = find(c.person);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  }
  std::map<std::string, std::vector<std::string>> components;
  for (const RefCase& c : cases_) components[find(c.person)].push_back(c.person);
  clusters_.clear();
  for (auto& [root, members] : components) {
    if (members.size() < 2) continue;
    std::sort(members.begin(), members.end());
    clusters_.push_back(RefCluster{members.front(), members});
  }
  std::sort(clusters_.begin(), clusters_.end(),
            [](const RefCluster& a, const RefCluster& b) { return a.id < b.id; });
}

bool ReferenceModel::EarliestContact(const std::string& p, const std::string& q,
                                     const RefWindow& w, Millis* time) const {
  if (p == q) return false;
  const auto vp = visits_by_person_.find(p);
  const auto vq = visits_by_person_.find(q);
  if (vp == visits_by_person_.end() || vq == visits_by_person_.end()) return false;
  bool found = false;
  for (const size_t i : vp->second) {
    const RefVisit& a = visits_[i];
    for (const size_t j : vq->second) {
      const RefVisit& b = visits_[j];
      if (a.venue != b.venue) continue;
      const Millis start = std::max({a.start, b.start, w.start});
      const Millis end = std::min({a.end, b.end, w.end});
      if (end - start < params_.min_overlap) continue;
      if (!found || start < *time) *time = start;
      found = true;
    }
  }
  return found;
}

std::map<std::string, RefExposure> ReferenceModel::Assign(
    const std::map<std::string, RefWindow>& seeds, int depth) const {
  std::map<std::string, RefExposure> result;
  for (const auto& [person, window] : seeds) result[person] = RefExposure{};
  std::map<std::string, RefWindow> frontier = seeds;
  for (int k = 1; k <= depth && !frontier.empty(); ++k) {
    std::map<std::string, RefWindow> next;
    for (const auto& [q, unused] : visits_by_person_) {
      if (result.count(q) != 0) continue;
      RefExposure e;
      e.level = k;
      for (const auto& [p, window] : frontier) {
        Millis t = 0;
        if (!EarliestContact(p, q, window, &t)) continue;
        e.via.push_back(p);  // frontier is a sorted map: via comes out sorted
        e.exposed_at = e.exposed_at ? std::min(*e.exposed_at, t) : t;
      }
      if (e.via.empty()) continue;
      next[q] = RefWindow{*e.exposed_at, *e.exposed_at + params_.onward_window};
      result[q] = std::move(e);
    }
    frontier = std::move(next);
  }
  return result;
}

const std::vector<RefVisit>& ReferenceModel::Visits() {
  Derive();
  return visits_;
}

std::vector<RefVisit> ReferenceModel::PersonVisits(const std::string& person) {
  Derive();
  std::vector<RefVisit> out;
  for (const RefVisit& v : visits_) {
    if (v.person == person) out.push_back(v);
  }
  return out;  // visits_ is ordered by (person, start)
}

std::vector<RefVisit> ReferenceModel::VenueVisits(const std::string& venue, Millis from,
                                                  Millis to) {
  Derive();
  std::vector<RefVisit> out;
  for (const RefVisit& v : visits_) {
    if (v.venue == venue && v.start < to && v.end > from) out.push_back(v);
  }
  std::sort(out.begin(), out.end(), [](const RefVisit& a, const RefVisit& b) {
    return std::tie(a.start, a.person) < std::tie(b.start, b.person);
  });
  return out;
}

const std::vector<RefCase>& ReferenceModel::Cases() {
  Derive();
  return cases_;
}

const RefCase* ReferenceModel::FindCase(const std::string& person) {
  Derive();
  for (const RefCase& c : cases_) {
    if (c.person == person) return &c;
  }
  return nullptr;
}

const std::map<std::string, RefExposure>& ReferenceModel::Levels() {
  Derive();
  return levels_;
}

std::vector<std::pair<std::string, RefExposure>> ReferenceModel::AtLevel(int k) {
  Derive();
  std::vector<std::pair<std::string, RefExposure>> out;
  for (const auto& [person, e] : levels_) {
    if (e.level == k) out.emplace_back(person, e);
  }
  return out;
}

const std::vector<RefCluster>& ReferenceModel::Clusters() {
  Derive();
  return clusters_;
}

std::optional<std::vector<RefChainNode>> ReferenceModel::Chain(const std::string& person,
                                                                int depth) {
  const RefCase* root = FindCase(person);
  if (root == nullptr) return std::nullopt;
  const auto assigned = Assign({{person, root->window}}, depth);
  std::vector<RefChainNode> nodes;
  for (const auto& [p, e] : assigned) {
    nodes.push_back(RefChainNode{p, e.level, e.exposed_at, FindCase(p) != nullptr});
  }
  return nodes;  // a std::map: ordered by person id
}

}  // namespace ctrace::test_support
