#include "bench/micro_support.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string_view>
#include <system_error>

#include "app/simulate.h"
#include "ingest/event_decoder.h"
#include "processors/tracing_engine.h"

namespace ctrace::bench {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "micro_bench: %s\n", what.c_str());
  std::abort();
}

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 1 || value > 100'000'000) Die(std::string(name) + ": not a positive integer");
  return static_cast<int>(value);
}

std::unique_ptr<LoadedTown> LoadTown() {
  auto town = std::make_unique<LoadedTown>();
  town->people = EnvInt("CTRACE_BENCH_PEOPLE", 3000);
  town->venues = EnvInt("CTRACE_BENCH_VENUES", std::max(1, town->people / 10));
  town->days = EnvInt("CTRACE_BENCH_DAYS", 14);
  const auto started = std::chrono::steady_clock::now();

  const TracingParams params;
  town->dir = std::make_unique<ScratchDir>("ctrace-micro-town");
  town->store = OpenStore(town->dir->path());
  town->clock = std::make_unique<ManualClock>(kSpanEnd);
  TracingEngine engine(town->store.get(), params);

  // The events in file order, applied in batches as the apply loop would read them.
  constexpr size_t kBatch = 1000;
  EventDecoder decoder;
  std::vector<Event> batch;
  int64_t position = 0;
  const auto apply = [&] {
    if (batch.empty()) return;
    position += static_cast<int64_t>(batch.size());
    ApplyCounts counts;
    std::string error;
    if (!engine.Apply(batch, {{0, position}}, kSpanEnd, &counts, &error)) Die("apply: " + error);
    town->events += counts.applied;
    batch.clear();
  };
  for (const std::string& line : SimulatedLines(town->people, town->venues, town->days)) {
    auto outcome = decoder.Decode(line, kSpanEnd, params);
    if (!outcome.event) Die("the simulator wrote an event the decoder rejects: " + outcome.reason);
    batch.push_back(std::move(*outcome.event));
    if (batch.size() == kBatch) apply();
  }
  apply();
  town->store->Flush();

  town->query = std::make_unique<QueryEngine>(town->store.get(), params, town->clock.get(), StatsSources{});
  auto view = town->store->Snapshot();
  town->visits = view->GetCounter("visits");
  town->alerts = view->NextAlertSeq() - 1;
  std::vector<std::pair<TimeMs, std::string>> cases;
  view->ForEachCase("", [&](const std::string& person, const CaseInfo& info) {
    cases.emplace_back(info.sampled_at, person);
    return true;
  });
  std::sort(cases.begin(), cases.end(), std::greater<>());
  for (size_t i = 0; i < cases.size() && i < 256; ++i) town->new_cases.push_back(cases[i].second);
  if (town->new_cases.empty()) Die("the town has no case: raise CTRACE_BENCH_DAYS or CTRACE_BENCH_PEOPLE");

  town->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr,
               "micro_bench: town of %d people, %d venues, %d days: %llu events, %llu visits, %zu "
               "cases, %llu alerts, loaded in %.1f s (%.0f events/s)\n",
               town->people, town->venues, town->days, static_cast<unsigned long long>(town->events),
               static_cast<unsigned long long>(town->visits), cases.size(),
               static_cast<unsigned long long>(town->alerts), town->load_seconds,
               static_cast<double>(town->events) / town->load_seconds);
  return town;
}

}  // namespace

ScratchDir::ScratchDir(const std::string& prefix) {
  std::error_code ec;
  const auto base = std::filesystem::temp_directory_path(ec);
  if (ec) Die("no temporary directory: " + ec.message());
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot make a directory under " + base.string());
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<StateStore> OpenStore(const std::filesystem::path& dir) {
  std::string error;
  auto store = StateStore::Open(dir.string(), StoreOptions{}, &error);
  if (store == nullptr) Die("cannot open a state store: " + error);
  return store;
}

std::vector<std::string> SimulatedLines(int people, int venues, int days) {
  SimulateOptions options;
  options.seed = 7;
  options.people = people;
  options.venues = venues;
  options.days = days;
  options.end = kSpanEnd;
  std::ostringstream out;
  if (WriteTown(options, out) == 0) Die("the simulator wrote nothing: " + options.Validate());
  std::vector<std::string> lines;
  const std::string text = out.str();
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    lines.emplace_back(text, begin, end - begin);
    begin = end + 1;
  }
  return lines;
}

LoadedTown& SharedTown() {
  static const std::unique_ptr<LoadedTown> town = LoadTown();
  return *town;
}

}  // namespace ctrace::bench
