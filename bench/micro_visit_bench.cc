// Visit assembly (processors/visit_builder): BuildVisits for one person with n check-ins and
// check-outs, as the engine rebuilds a person whose events changed. The stays are a few hours
// apart at 8 venues; 80% have a check-out, 3% of those hours late and 2% a second one, the
// simulator's default rates. Items are events.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/micro_support.h"
#include "processors/visit_builder.h"

namespace ctrace::bench {
namespace {

// About `count` check-ins and check-outs of person P000001, in a shuffled order (the engine
// hands them over in its storage order, which is not time order).
std::vector<Event> PersonEvents(size_t count) {
  std::mt19937_64 random(7);
  const auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
  std::vector<Event> events;
  TimeMs t = kSpanEnd - 30 * kDay;
  uint64_t id = 0;
  while (events.size() < count) {
    Event checkin;
    checkin.type = EventType::kCheckin;
    checkin.id = "c-" + std::to_string(++id);
    checkin.person = "P000001";
    checkin.venue = "V-D01-CAFE-" + std::to_string(random() % 8);
    checkin.time = t;
    events.push_back(checkin);
    const DurationMs stay = static_cast<DurationMs>(10 + random() % 110) * kMinute;
    if (events.size() < count && chance(80)) {
      Event checkout = checkin;
      checkout.type = EventType::kCheckout;
      checkout.id = "c-" + std::to_string(++id);
      checkout.time = t + stay + (chance(3) ? 5 * kHour : 0);
      events.push_back(checkout);
      if (events.size() < count && chance(2)) {
        checkout.id = "c-" + std::to_string(++id);
        checkout.time += 10 * kMinute;
        events.push_back(checkout);
      }
    }
    t += stay + static_cast<DurationMs>(1 + random() % 5) * kHour;
  }
  std::shuffle(events.begin(), events.end(), random);
  return events;
}

void BM_BuildVisits(benchmark::State& state) {
  const auto events = PersonEvents(static_cast<size_t>(state.range(0)));
  const TracingParams params;
  size_t visits = 0;
  for (auto _ : state) {
    auto built = BuildVisits("P000001", events, params);
    visits = built.size();
    benchmark::DoNotOptimize(built);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events.size()));
  state.counters["visits"] = static_cast<double>(visits);
}
// 2: one visit; 128: a month of one person's routine (about 2.3 visits a day); 1024: a shared
// account or a scanner bot.
BENCHMARK(BM_BuildVisits)->Arg(2)->Arg(16)->Arg(128)->Arg(1024);

}  // namespace
}  // namespace ctrace::bench
