// The audit comparison of `ctrace replay --verify`: the derived state the events imply (a
// replay into a scratch store) against the state the service holds (its data directory or its
// HTTP API), as a list of differences.
//
// DerivedState is what both sides are read into: the call lists (levels with exposed_at and
// via), the cases with their windows, the links between cases and the clusters. It is held in
// memory: about 100 bytes per exposed person or case, so tens of millions fit an audit host.
//
// Thread-safety: plain functions over values; a StateView is used by the calling thread only.
#pragma once

#include <optional>
#include <set>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "processors/views.h"
#include "stores/state_store.h"

namespace ctrace {

struct ExposureRecord {
  int level = 0;  // 1..max_depth
  TimeMs exposed_at = 0;
  std::vector<std::string> via;  // sorted
  bool operator==(const ExposureRecord&) const = default;
};

struct DerivedState {
  std::map<std::string, ExposureRecord> exposures;  // person -> exposure (levels >= 1)
  std::map<std::string, CaseInfo> cases;            // person -> case
  std::set<std::pair<std::string, std::string>> links;         // (from, to): to's linked_from holds from
  std::map<std::string, std::vector<std::string>> clusters;    // id -> cases (sorted)
  // Whether the cases carry resulted_at and onset (a store does; the HTTP API's case list does
  // not, so they are compared only when both sides have them).
  bool case_details = true;
};

// Reads the derived state of `view`, levels 1..max_depth.
DerivedState ReadDerivedState(StateView& view, int max_depth);

// One difference: `what` differs for `key` (a person id, "from->to" for a link, a cluster id);
// `expected` is the replay's value, `found` the live one; nullopt means absent on that side.
struct StateDifference {
  std::string what;  // level, exposed_at, via, case, case.sampled_at, case.resulted_at,
                     // case.onset, case.window, link, cluster
  std::string key;
  std::optional<std::string> expected;
  std::optional<std::string> found;
  bool operator==(const StateDifference&) const = default;
};

// Every difference, ordered by the kind (exposures, cases, links, clusters) then by key. Times
// are RFC 3339 UTC, lists are comma-separated. A person whose level differs gets one `level`
// difference (exposed_at and via are compared only at equal levels), likewise a case that is
// absent on one side gets one `case` difference.
std::vector<StateDifference> DiffDerivedStates(const DerivedState& expected, const DerivedState& found);

// ReadDerivedState of both, then DiffDerivedStates.
std::vector<StateDifference> DiffStates(StateView& expected, StateView& found, int max_depth);

}  // namespace ctrace
