#include "processors/visit_builder.h"

#include <algorithm>
#include <map>
#include <string>

namespace ctrace {

DurationMs LongestVisit(const TracingParams& params) {
  return std::max(params.max_stay, params.default_stay);
}

std::vector<VisitRecord> BuildVisits(std::string_view person, const std::vector<Event>& events,
                                     const TracingParams& params) {
  std::vector<const Event*> checkins;
  std::map<std::string_view, std::vector<TimeMs>> checkouts_by_venue;
  for (const auto& event : events) {
    if (event.type == EventType::kCheckin) checkins.push_back(&event);
    if (event.type == EventType::kCheckout) checkouts_by_venue[event.venue].push_back(event.time);
  }
  for (auto& [venue, times] : checkouts_by_venue) std::sort(times.begin(), times.end());
  std::sort(checkins.begin(), checkins.end(), [](const Event* a, const Event* b) {
    return a->time != b->time ? a->time < b->time : a->id < b->id;
  });

  std::vector<VisitRecord> visits;
  for (size_t checkin_idx = 0; checkin_idx < checkins.size(); ++checkin_idx) {
    const Event& checkin = *checkins[checkin_idx];
    const TimeMs start = checkin.time;
    const TimeMs next = checkin_idx + 1 < checkins.size() ? checkins[checkin_idx + 1]->time : kTimeMax;
    const TimeMs match_limit = std::min(next, start + params.max_stay);
    TimeMs end = std::min(start + params.default_stay, next);
    bool checked_out = false;
    const auto venue_it = checkouts_by_venue.find(checkin.venue);
    if (venue_it != checkouts_by_venue.end()) {
      const auto& times = venue_it->second;
      const auto first_after = std::upper_bound(times.begin(), times.end(), start);
      if (first_after != times.end() && *first_after <= match_limit) {
        end = *first_after;
        checked_out = true;
      }
    }
    if (end <= start) continue;
    visits.push_back({std::string(person), checkin.venue, start, end, checked_out});
  }
  return visits;
}

}  // namespace ctrace
