// Queries on a simulated town (bench/micro_support.h SharedTown: `ctrace simulate` applied by
// the TracingEngine to a real state store, built once per process, before any timed loop):
//   - the F1 list of a new case: QueryEngine::GetChain(case, 1), snapshot included, as
//     GET /v1/cases/{person}/chain?depth=1 asks it;
//   - the index work alone, on one snapshot: the case's visits that reach into its window W0,
//     ForEachOverlapOf over them and ContactInside (processors/exposure_levels.h), without the
//     snapshot, the chain's bookkeeping or the nodes' person lookups;
//   - the chain of depth 2: QueryEngine::GetChain(case, 2);
//   - a person lookup (QueryEngine::GetPerson of the same cases) as the reference point.
// Each cycles through the town's most recently sampled cases (up to 256), with the default
// tracing parameters. Counters: the town's size, and the nodes or contacts found per call.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/micro_support.h"
#include "processors/exposure_levels.h"

namespace ctrace::bench {
namespace {

void SetTownCounters(benchmark::State& state, const LoadedTown& town) {
  state.counters["town_visits"] = static_cast<double>(town.visits);
  state.counters["town_events"] = static_cast<double>(town.events);
}

void BM_PersonLookup(benchmark::State& state) {
  LoadedTown& town = SharedTown();
  size_t i = 0;
  for (auto _ : state) {
    auto person = town.query->GetPerson(town.new_cases[i]);
    benchmark::DoNotOptimize(person);
    if (++i == town.new_cases.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  SetTownCounters(state, town);
}
BENCHMARK(BM_PersonLookup);

void ChainBenchmark(benchmark::State& state, int depth) {
  LoadedTown& town = SharedTown();
  size_t i = 0;
  size_t nodes = 0;
  for (auto _ : state) {
    auto chain = town.query->GetChain(town.new_cases[i], depth);
    if (!chain) state.SkipWithError("a case has no chain");
    nodes += chain ? chain->nodes.size() - 1 : 0;
    benchmark::DoNotOptimize(chain);
    if (++i == town.new_cases.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["people_per_chain"] =
      benchmark::Counter(static_cast<double>(nodes), benchmark::Counter::kAvgIterations);
  SetTownCounters(state, town);
}

void BM_F1List(benchmark::State& state) { ChainBenchmark(state, 1); }
BENCHMARK(BM_F1List);

void BM_ChainDepth2(benchmark::State& state) { ChainBenchmark(state, 2); }
BENCHMARK(BM_ChainDepth2);

void BM_F1ContactScan(benchmark::State& state) {
  LoadedTown& town = SharedTown();
  const TracingParams params;
  auto view = town.store->Snapshot();
  std::vector<Window> windows;
  for (const auto& person : town.new_cases) windows.push_back(view->GetPerson(person)->case_info->window);
  size_t i = 0;
  size_t contacts = 0;
  std::vector<VisitRecord> visits;
  for (auto _ : state) {
    const Window& window = windows[i];
    visits.clear();
    view->ForEachPersonVisit(town.new_cases[i], [&](const VisitRecord& visit) {
      if (visit.end - window.start >= params.min_overlap && window.end - visit.start >= params.min_overlap) {
        visits.push_back(visit);
      }
      return true;
    });
    ForEachOverlapOf(*view, visits, params, [&](const VisitRecord& mine, const VisitRecord& other) {
      if (ContactInside(mine, other, window, params)) ++contacts;
    });
    if (++i == town.new_cases.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["contacts_per_case"] =
      benchmark::Counter(static_cast<double>(contacts), benchmark::Counter::kAvgIterations);
  SetTownCounters(state, town);
}
BENCHMARK(BM_F1ContactScan);

}  // namespace
}  // namespace ctrace::bench
