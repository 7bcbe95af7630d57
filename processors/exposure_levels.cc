#include "processors/exposure_levels.h"

#include <algorithm>
#include <map>
#include <set>

#include "processors/visit_builder.h"

namespace ctrace {

void ForEachOverlapOf(StateView& view, const std::vector<VisitRecord>& visits,
                      const TracingParams& params,
                      const std::function<void(const VisitRecord&, const VisitRecord&)>& fn,
                      bool supporters_only) {
  const DurationMs longest = LongestVisit(params);
  for (const auto& mine : visits) {
    auto check = [&](const VisitRecord& other) {
      if (other.person == mine.person) return true;
      const TimeMs overlap_start = std::max(mine.start, other.start);
      const TimeMs overlap_end = std::min(mine.end, other.end);
      if (overlap_end - overlap_start >= params.min_overlap) fn(mine, other);
      return true;
    };
    if (supporters_only) {
      const DurationMs lookback = std::min(longest, view.LongestSupportVisit(mine.venue).value_or(longest));
      view.ForEachSupportVisit(mine.venue, mine.start - lookback, mine.end, check);
    } else {
      view.ForEachVenueVisit(mine.venue, mine.start - longest, mine.end, {}, check);
    }
  }
}

void ForEachOverlap(StateView& view, std::string_view person, const TracingParams& params,
                    const std::function<void(const VisitRecord&, const VisitRecord&)>& fn) {
  std::vector<VisitRecord> visits;
  view.ForEachPersonVisit(person, [&](const VisitRecord& visit) {
    visits.push_back(visit);
    return true;
  });
  ForEachOverlapOf(view, visits, params, fn);
}

std::optional<Window> ContactInside(const VisitRecord& a, const VisitRecord& b, const Window& w,
                                    const TracingParams& params) {
  const TimeMs start = std::max({a.start, b.start, w.start});
  const TimeMs end = std::min({a.end, b.end, w.end});
  if (end - start < params.min_overlap) return std::nullopt;
  return Window{start, end};
}

std::optional<Window> OnwardWindow(const PersonState& state, const TracingParams& params) {
  if (!state.level) return std::nullopt;
  if (*state.level == 0) {
    if (!state.case_info) return std::nullopt;
    return state.case_info->window;
  }
  return Window{state.exposed_at, state.exposed_at + params.onward_window};
}

ExposureCandidates CollectCandidates(StateView& view, const std::vector<VisitRecord>& visits,
                                     const TracingParams& params) {
  ExposureCandidates result;
  result.best_level = params.max_depth + 1;
  ForEachOverlapOf(view, visits, params, [&](const VisitRecord& mine, const VisitRecord& other) {
    const PersonState* other_state = view.FindPerson(other.person);
    if (!other_state || !other_state->level || *other_state->level + 1 > result.best_level) return;
    const auto window = OnwardWindow(*other_state, params);
    if (!window) return;
    const auto contact = ContactInside(mine, other, *window, params);
    if (!contact) return;
    const int level = *other_state->level + 1;
    if (level < result.best_level) {
      result.best_level = level;
      result.contacts.clear();
    }
    result.contacts.push_back({other.person, *other_state->level, other.venue, contact->start, contact->end});
  }, /*supporters_only=*/true);
  return result;
}

LevelAssignment AssignmentFrom(ExposureCandidates candidates, const TracingParams& params) {
  LevelAssignment result;
  if (candidates.best_level > params.max_depth || candidates.contacts.empty()) return result;
  result.level = candidates.best_level;
  auto& contacts = candidates.contacts;
  std::sort(contacts.begin(), contacts.end(), [](const ContactView& a, const ContactView& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.person != b.person) return a.person < b.person;
    if (a.venue != b.venue) return a.venue < b.venue;
    return a.end < b.end;
  });
  result.exposed_at = contacts.front().start;
  std::set<std::string> via;
  for (const auto& contact : contacts) via.insert(contact.person);
  result.via.assign(via.begin(), via.end());
  result.contacts = std::move(contacts);
  return result;
}

LevelAssignment EvaluateLevel(StateView& view, std::string_view person,
                              const std::optional<CaseInfo>& case_info, const TracingParams& params) {
  if (case_info) {
    LevelAssignment result;
    result.level = 0;
    return result;
  }
  std::vector<VisitRecord> visits;
  view.ForEachPersonVisit(person, [&](const VisitRecord& visit) {
    visits.push_back(visit);
    return true;
  });
  return AssignmentFrom(CollectCandidates(view, visits, params), params);
}

std::vector<std::string> HotspotCases(StateView& view, std::string_view venue, TimeMs now,
                                      const TracingParams& params) {
  std::set<std::string> cases;
  // Cases are always in the support index.
  view.ForEachSupportVisit(venue, now - params.hotspot_window, now, [&](const VisitRecord& visit) {
    const PersonState* state = view.FindPerson(visit.person);
    if (!state || !state->case_info) return true;
    const Window& w0 = state->case_info->window;
    if (std::max(visit.start, w0.start) < std::min(visit.end, w0.end)) cases.insert(visit.person);
    return true;
  });
  return {cases.begin(), cases.end()};
}

}  // namespace ctrace
