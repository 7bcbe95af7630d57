// Event decoding (ingest/event_decoder): one event, and a request body of NDJSON split and
// decoded event by event as POST /v1/events does. The events are a simulated town's (every
// type; 5% of the times with +07:00, 30% of the events with a source), all valid. Baselines
// over the same bytes: a memcpy and a strlen, so the figures read as ratios on a noisy machine.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench/micro_support.h"
#include "ingest/event_decoder.h"

namespace ctrace::bench {
namespace {

const std::vector<std::string>& Lines() {
  static const std::vector<std::string> lines = SimulatedLines(/*people=*/2000, /*venues=*/200, /*days=*/2);
  return lines;
}

// The first `count` lines as one NDJSON body.
std::string Body(size_t count) {
  std::string body;
  const auto& lines = Lines();
  for (size_t i = 0; i < count; ++i) {
    body += lines[i % lines.size()];
    body.push_back('\n');
  }
  return body;
}

void BM_DecodeOne(benchmark::State& state) {
  const auto& lines = Lines();
  const TracingParams params;
  EventDecoder decoder;
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string& line = lines[i];
    auto outcome = decoder.Decode(line, kSpanEnd, params);
    benchmark::DoNotOptimize(outcome);
    bytes += line.size();
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeOne);

void BM_DecodeBatch(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  const std::string body = Body(count);
  const TracingParams params;
  EventDecoder decoder;
  std::vector<BodyItem> items;
  for (auto _ : state) {
    items.clear();
    std::string error;
    if (!SplitBody(body, BodyFormat::kNdjson, &items, &error)) state.SkipWithError(error.c_str());
    size_t valid = 0;
    for (const auto& item : items) valid += decoder.Decode(item.text, kSpanEnd, params).event ? 1 : 0;
    if (valid != count) state.SkipWithError("an event was rejected");
    benchmark::DoNotOptimize(valid);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeBatch)->Arg(100)->Arg(1000);

// Baseline: copying the same body.
void BM_DecodeBaselineMemcpy(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  const std::string body = Body(count);
  std::string copy(body.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), body.data(), body.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeBaselineMemcpy)->Arg(1000);

// Baseline: finding the end of the same body, byte by byte.
void BM_DecodeBaselineStrlen(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  const std::string body = Body(count);
  for (auto _ : state) {
    const char* text = body.c_str();
    benchmark::DoNotOptimize(text);
    benchmark::DoNotOptimize(std::strlen(text));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeBaselineStrlen)->Arg(1000);

}  // namespace
}  // namespace ctrace::bench
