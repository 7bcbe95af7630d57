#include "processors/query_engine.h"

#include <algorithm>
#include <map>
#include <set>

#include "processors/exposure_levels.h"
#include "processors/visit_builder.h"

namespace ctrace {

QueryEngine::QueryEngine(StateStore* store, const TracingParams& params, Clock* clock, StatsSources sources)
    : store_(store), params_(params), clock_(clock), sources_(std::move(sources)), started_at_(clock->Now()) {}

std::optional<PersonView> QueryEngine::GetPerson(std::string_view person) {
  auto view = store_->Snapshot();
  PersonView result;
  result.person = person;
  bool any_event = false;
  view->ForEachPersonEvent(person, [&](const Event& event) {
    any_event = true;
    if (event.type == EventType::kTestResult) {
      result.tests.push_back({event.id, event.time, event.resulted_at, event.result, event.kind});
    }
    return true;
  });
  if (!any_event) return std::nullopt;
  std::sort(result.tests.begin(), result.tests.end(), [](const TestView& a, const TestView& b) {
    return a.sampled_at != b.sampled_at ? a.sampled_at < b.sampled_at : a.id < b.id;
  });
  view->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
    result.visits.push_back({visit.person, visit.venue, visit.start, visit.end, visit.checked_out});
    return true;
  });
  const auto state = view->GetPerson(person).value_or(PersonState{});
  result.level = state.level;
  result.case_info = state.case_info;
  if (state.level && *state.level >= 1) {
    result.exposed_at = state.exposed_at;
    result.via = state.via;
    result.contacts = EvaluateLevel(*view, person, state.case_info, params_).contacts;
  }
  return result;
}

ExposedPage QueryEngine::ListExposed(int level, std::optional<TimeMs> since, std::string_view after,
                                     size_t limit) {
  auto view = store_->Snapshot();
  ExposedPage page;
  bool more = false;
  view->ForEachLevel(level, after, [&](const std::string& person, TimeMs exposed_at,
                                       const std::vector<std::string>& via) {
    if (since && exposed_at < *since) return true;
    if (page.persons.size() == limit) {
      more = true;
      return false;
    }
    page.persons.push_back({person, exposed_at, via});
    return true;
  });
  if (more && !page.persons.empty()) page.next_after = page.persons.back().person;
  return page;
}

CasesPage QueryEngine::ListCases(std::string_view after, size_t limit) {
  auto view = store_->Snapshot();
  CasesPage page;
  bool more = false;
  view->ForEachCase(after, [&](const std::string& person, const CaseInfo& info) {
    if (page.cases.size() == limit) {
      more = true;
      return false;
    }
    page.cases.push_back({person, info, {}});
    return true;
  });
  for (auto& entry : page.cases) {
    view->ForEachLinkIn(entry.person, [&](const std::string& from, const std::vector<std::string>&) {
      entry.linked_from.push_back(from);
      return true;
    });
  }
  if (more && !page.cases.empty()) page.next_after = page.cases.back().person;
  return page;
}

std::optional<ChainView> QueryEngine::GetChain(std::string_view root, int depth) {
  auto view = store_->Snapshot();
  const auto root_state = view->GetPerson(root);
  if (!root_state || !root_state->case_info) return std::nullopt;

  ChainView chain;
  chain.root = root;
  std::map<std::string, std::pair<int, Window>> assigned;  // person -> (level, onward window)
  assigned[std::string(root)] = {0, root_state->case_info->window};
  chain.nodes.push_back({std::string(root), 0, std::nullopt, true});
  std::vector<std::string> frontier = {std::string(root)};
  for (int level = 1; level <= depth && !frontier.empty(); ++level) {
    std::map<std::string, TimeMs> exposed;  // the new level's people and exposure times
    std::vector<ChainEdge> edges;
    for (const auto& from : frontier) {
      const Window window = assigned[from].second;
      // Only visits that reach into the onward window can give a contact inside it.
      std::vector<VisitRecord> visits;
      view->ForEachPersonVisit(from, [&](const VisitRecord& visit) {
        if (visit.end - window.start >= params_.min_overlap && window.end - visit.start >= params_.min_overlap) {
          visits.push_back(visit);
        }
        return true;
      });
      ForEachOverlapOf(*view, visits, params_, [&](const VisitRecord& mine, const VisitRecord& other) {
        if (assigned.count(other.person) != 0) return;
        const auto contact = ContactInside(mine, other, window, params_);
        if (!contact) return;
        auto [it, inserted] = exposed.emplace(other.person, contact->start);
        if (!inserted) it->second = std::min(it->second, contact->start);
        edges.push_back({from, other.person, mine.venue, contact->start, contact->end});
      });
    }
    frontier.clear();
    for (const auto& [person, exposed_at] : exposed) {
      assigned[person] = {level, Window{exposed_at, exposed_at + params_.onward_window}};
      chain.nodes.push_back({person, level, exposed_at, view->IsCase(person)});
      frontier.push_back(person);
    }
    std::sort(edges.begin(), edges.end(), [](const ChainEdge& a, const ChainEdge& b) {
      if (a.to != b.to) return a.to < b.to;
      if (a.start != b.start) return a.start < b.start;
      if (a.from != b.from) return a.from < b.from;
      return a.venue < b.venue;
    });
    chain.edges.insert(chain.edges.end(), edges.begin(), edges.end());
  }
  // Nodes by person id, as the contract's worked examples list them.
  std::sort(chain.nodes.begin(), chain.nodes.end(),
            [](const ChainNode& a, const ChainNode& b) { return a.person < b.person; });
  return chain;
}

std::vector<ClusterView> QueryEngine::ListClusters() {
  auto view = store_->Snapshot();
  std::map<std::string, std::string> parent;
  auto find = [&](std::string person) {
    while (parent[person] != person) person = parent[person] = parent[parent[person]];
    return person;
  };
  struct Link {
    std::string from, to;
    std::vector<std::string> venues;
  };
  std::vector<Link> links;
  view->ForEachLink([&](const std::string& from, const std::string& to, const std::vector<std::string>& venues) {
    links.push_back({from, to, venues});
    for (const auto* person : {&from, &to}) {
      if (parent.count(*person) == 0) parent[*person] = *person;
    }
    const auto a = find(from), b = find(to);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
    return true;
  });
  std::map<std::string, ClusterView> clusters;
  for (const auto& [person, unused] : parent) {
    const auto id = find(person);
    auto& cluster = clusters[id];
    cluster.id = id;
    cluster.cases.push_back(person);
  }
  for (const auto& link : links) {
    auto& cluster = clusters[find(link.from)];
    cluster.links.push_back({link.from, link.to});
    cluster.venues.insert(cluster.venues.end(), link.venues.begin(), link.venues.end());
  }
  std::vector<ClusterView> result;
  for (auto& [id, cluster] : clusters) {
    if (cluster.cases.size() < 2) continue;
    std::sort(cluster.venues.begin(), cluster.venues.end());
    cluster.venues.erase(std::unique(cluster.venues.begin(), cluster.venues.end()), cluster.venues.end());
    result.push_back(std::move(cluster));
  }
  return result;
}

VenueVisitsPage QueryEngine::ListVenueVisits(std::string_view venue, TimeMs from, TimeMs to,
                                             std::string_view after, size_t limit) {
  auto view = store_->Snapshot();
  VenueVisitsPage page;
  page.venue = venue;
  bool more = false;
  view->ForEachVenueVisit(venue, from - LongestVisit(params_), to, after, [&](const VisitRecord& visit) {
    if (visit.end <= from) return true;
    if (page.visits.size() == limit) {
      more = true;
      return false;
    }
    page.visits.push_back({visit.person, visit.venue, visit.start, visit.end, visit.checked_out});
    return true;
  });
  if (more && !page.visits.empty()) {
    const auto& last = page.visits.back();
    page.next_after = VenueVisitKey({last.person, last.venue, last.start, last.end, last.checked_out});
  }
  return page;
}

StatsView QueryEngine::GetStats() {
  auto view = store_->Snapshot();
  StatsView stats;
  if (sources_.ingest_counters) stats.events = sources_.ingest_counters();
  for (int level = 0; level <= params_.max_depth; ++level) {
    stats.persons_by_level[level] = view->GetCounter("persons.level." + std::to_string(level));
  }
  stats.cases = view->GetCounter("cases");
  stats.visits = view->GetCounter("visits");
  stats.log_end = sources_.log_end ? sources_.log_end() : 0;
  stats.applied = sources_.applied ? sources_.applied() : 0;
  stats.now = clock_->Now();
  stats.uptime = stats.now - started_at_;
  if (sources_.oldest_event_time) stats.oldest_event_time = sources_.oldest_event_time();
  if (sources_.last_erase) stats.last_erase = sources_.last_erase();
  if (sources_.alerts_next_seq) stats.alerts_next_seq = sources_.alerts_next_seq();
  return stats;
}

AlertsPage QueryEngine::ListAlerts(uint64_t since, size_t limit) {
  auto view = store_->Snapshot();
  AlertsPage page;
  page.next_seq = since;
  view->ForEachAlert(since, [&](const AlertView& alert) {
    if (page.alerts.size() >= limit) return false;
    page.alerts.push_back(alert);
    page.next_seq = alert.seq;
    return true;
  });
  return page;
}

std::vector<HotspotView> QueryEngine::ListHotspots() {
  auto view = store_->Snapshot();
  const TimeMs now = clock_->Now();
  std::map<std::string, HotspotView> candidates;
  view->ForEachHotspot([&](const HotspotView& hotspot) {
    candidates.emplace(hotspot.venue, hotspot);
    return true;
  });
  // A venue can also become a hotspot as `now` passes the start of a case's visit that was
  // ahead of the clock when it was applied: look at every venue a case visited in the window.
  std::vector<std::string> cases;
  view->ForEachCase({}, [&](const std::string& person, const CaseInfo&) {
    cases.push_back(person);
    return true;
  });
  for (const auto& person : cases) {
    view->ForEachPersonVisit(person, [&](const VisitRecord& visit) {
      if (visit.start >= now - params_.hotspot_window && visit.start < now && candidates.count(visit.venue) == 0) {
        candidates.emplace(visit.venue, HotspotView{visit.venue, {}, visit.start});
      }
      return true;
    });
  }
  std::vector<HotspotView> result;
  for (auto& [venue, hotspot] : candidates) {
    // Cases age out of the window as `now` moves on: judge again at now.
    auto cases = HotspotCases(*view, hotspot.venue, now, params_);
    if (cases.size() < static_cast<size_t>(params_.hotspot_cases)) continue;
    hotspot.cases = std::move(cases);
    result.push_back(std::move(hotspot));
  }
  return result;
}

}  // namespace ctrace
