// Contacts (tracing §3) and one person's exposure level from the stored levels of the people
// they met (§4). Shared by the engine, which stores the answer, and by queries, which show its
// evidence. Reads only through a StateView.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/params.h"
#include "processors/views.h"
#include "stores/state_store.h"

namespace ctrace {

// Calls fn(mine, other) for every pair of a visit of `person` and a visit of someone else at
// the same venue whose raw overlap is at least min_overlap (a contact is possible inside some
// window). Visit pairs come in (mine.start, other.start, other.person) order.
void ForEachOverlap(StateView& view, std::string_view person, const TracingParams& params,
                    const std::function<void(const VisitRecord& mine, const VisitRecord& other)>& fn);

// The same, for a given list of `person`'s visits (already loaded). With `supporters_only`,
// only visits of people who can pass exposure on (the support index) are considered.
void ForEachOverlapOf(StateView& view, const std::vector<VisitRecord>& visits,
                      const TracingParams& params,
                      const std::function<void(const VisitRecord& mine, const VisitRecord& other)>& fn,
                      bool supporters_only = false);

// The clipped overlap [max(a1, a2, w.start), min(e1, e2, w.end)) when it is at least
// min_overlap long (a contact inside `w`), else nullopt.
std::optional<Window> ContactInside(const VisitRecord& a, const VisitRecord& b, const Window& w,
                                    const TracingParams& params);

// The window in which a person at a level passes exposure on: W0 for a case, else
// [exposed_at, exposed_at + onward_window). nullopt for a person with no level.
std::optional<Window> OnwardWindow(const PersonState& state, const TracingParams& params);

struct LevelAssignment {
  std::optional<int> level;
  TimeMs exposed_at = 0;                // for level >= 1
  std::vector<std::string> via;         // sorted, unique
  std::vector<ContactView> contacts;    // the qualifying contacts with `via`, by (start, person)
};

// The contacts during `visits` (of one person) with people at a level, inside those people's
// onward windows, as stored now: only those at the best level reached (best_level = 1 + the
// lowest such level; max_depth + 1 when there is none within max_depth).
struct ExposureCandidates {
  int best_level = 0;
  std::vector<ContactView> contacts;
};
ExposureCandidates CollectCandidates(StateView& view, const std::vector<VisitRecord>& visits,
                                     const TracingParams& params);

// The assignment that best-level candidates give (no level when there are none).
LevelAssignment AssignmentFrom(ExposureCandidates candidates, const TracingParams& params);

// The level `person` gets from the current stored state of everyone they met: 0 when
// `case_info` is set; else 1 + the lowest level among people who had a contact with them
// inside that person's onward window, if that is at most max_depth.
LevelAssignment EvaluateLevel(StateView& view, std::string_view person,
                              const std::optional<CaseInfo>& case_info, const TracingParams& params);

// tracing §7: the cases with a visit at `venue` that overlaps their window W0 and starts in
// [now - hotspot_window, now), sorted. The venue is a hotspot when there are at least
// hotspot_cases of them.
std::vector<std::string> HotspotCases(StateView& view, std::string_view venue, TimeMs now,
                                      const TracingParams& params);

}  // namespace ctrace
