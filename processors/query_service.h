// The read side the API serves from. Implementations read stored state; they never block on
// ingest. All methods may be called from any thread at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processors/views.h"

namespace ctrace {

class QueryService {
 public:
  virtual ~QueryService() = default;

  // nullopt when the person has no live data at all.
  virtual std::optional<PersonView> GetPerson(std::string_view person) = 0;

  // People at `level` (1..max_depth) ordered by id, starting after `after` (empty: from the
  // start), at most `limit`; `since` keeps those exposed at or after it.
  virtual ExposedPage ListExposed(int level, std::optional<TimeMs> since, std::string_view after,
                                  size_t limit) = 0;

  // Cases ordered by id, starting after `after`, at most `limit`.
  virtual CasesPage ListCases(std::string_view after, size_t limit) = 0;

  // tracing.md §6; nullopt when `person` is not a case. `depth` in 1..5.
  virtual std::optional<ChainView> GetChain(std::string_view person, int depth) = 0;

  // tracing.md §5, ordered by id.
  virtual std::vector<ClusterView> ListClusters() = 0;

  // Visits at `venue` overlapping [from, to), ordered by (start, person), resuming after the
  // opaque `after` key of a previous page (empty: from the start), at most `limit`.
  virtual VenueVisitsPage ListVenueVisits(std::string_view venue, TimeMs from, TimeMs to,
                                          std::string_view after, size_t limit) = 0;

  virtual StatsView GetStats() = 0;

  // Alerts with seq > since, ascending, at most `limit`.
  virtual AlertsPage ListAlerts(uint64_t since, size_t limit) { (void)since, (void)limit; return {}; }

  // tracing.md §7 at the service's now, ordered by venue.
  virtual std::vector<HotspotView> ListHotspots() { return {}; }

  // The configured max_depth (the default chain depth and the highest listable level).
  virtual int MaxDepth() const = 0;
};

}  // namespace ctrace
