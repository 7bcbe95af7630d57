// Shared by the micro-benchmarks (bench/micro_*.cc): scratch directories, simulated events as
// text, and a simulated town loaded into a real state store by the tracing engine.
//
// Everything here is set-up: benchmarks build it before their timed loops. Not thread-safe
// (Google Benchmark runs one benchmark at a time unless told otherwise).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/clock.h"
#include "model/params.h"
#include "model/time.h"
#include "processors/query_engine.h"
#include "stores/state_store.h"

namespace ctrace::bench {

// Where every simulated span of the benchmarks ends (and the clock reads), so that figures do
// not depend on the day they are taken: 2027-03-15T00:00:00Z.
inline constexpr TimeMs kSpanEnd = 1805068800000;

// A fresh directory under the system's temporary directory, removed with everything in it when
// the object goes. Aborts the process when it cannot be made (a benchmark without its store
// measures nothing).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Opens a state store in `dir` with the default options; aborts on failure.
std::unique_ptr<StateStore> OpenStore(const std::filesystem::path& dir);

// The NDJSON lines of a simulated town (`ctrace simulate` with these sizes, seed 7, ending at
// kSpanEnd), without their line ends.
std::vector<std::string> SimulatedLines(int people, int venues, int days);

// A simulated town applied by the TracingEngine to a state store in a scratch directory, with
// the query engine on top. The size comes from the environment: CTRACE_BENCH_PEOPLE (default
// 3000), CTRACE_BENCH_VENUES (default people / 10) and CTRACE_BENCH_DAYS (default 14).
struct LoadedTown {
  int people = 0;
  int venues = 0;
  int days = 0;
  uint64_t events = 0;  // applied
  uint64_t visits = 0;  // stored (the "visits" counter)
  uint64_t alerts = 0;  // in the alert changelog
  double load_seconds = 0;
  // Up to 256 cases, the most recently sampled first ("new" cases).
  std::vector<std::string> new_cases;

  std::unique_ptr<ScratchDir> dir;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<QueryEngine> query;
};

// The town, loaded on the first call (which takes a while: it runs the whole engine) and kept
// for the rest of the process.
LoadedTown& SharedTown();

}  // namespace ctrace::bench
