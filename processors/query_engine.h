// QueryService over the state store: each call reads one consistent snapshot.
//
// Thread-safety: every method may be called from any thread at once.
#pragma once

#include <functional>

#include "model/clock.h"
#include "model/params.h"
#include "processors/query_service.h"
#include "stores/state_store.h"

namespace ctrace {

// Where the query engine learns figures it does not own (log positions, ingest counters).
struct StatsSources {
  std::function<uint64_t()> log_end;
  std::function<uint64_t()> applied;
  std::function<std::map<std::string, uint64_t>()> ingest_counters;
  // The oldest live event time (state store and embedded log); nullopt when there is none.
  std::function<std::optional<TimeMs>()> oldest_event_time;
  // The last erase pass of this process, if any.
  std::function<std::optional<EraseStats>()> last_erase;
  // The seq the next alert will get (AlertFeed::next_seq).
  std::function<uint64_t()> alerts_next_seq;
};

class QueryEngine final : public QueryService {
 public:
  // `store` and `clock` must outlive the engine.
  QueryEngine(StateStore* store, const TracingParams& params, Clock* clock, StatsSources sources);

  std::optional<PersonView> GetPerson(std::string_view person) override;
  ExposedPage ListExposed(int level, std::optional<TimeMs> since, std::string_view after,
                          size_t limit) override;
  CasesPage ListCases(std::string_view after, size_t limit) override;
  std::optional<ChainView> GetChain(std::string_view person, int depth) override;
  std::vector<ClusterView> ListClusters() override;
  VenueVisitsPage ListVenueVisits(std::string_view venue, TimeMs from, TimeMs to,
                                  std::string_view after, size_t limit) override;
  StatsView GetStats() override;
  AlertsPage ListAlerts(uint64_t since, size_t limit) override;
  std::vector<HotspotView> ListHotspots() override;
  int MaxDepth() const override { return params_.max_depth; }

 private:
  StateStore* store_;
  TracingParams params_;
  Clock* clock_;
  StatsSources sources_;
  TimeMs started_at_;
};

}  // namespace ctrace
