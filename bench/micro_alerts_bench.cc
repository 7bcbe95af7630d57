// Alert fan-out: what one commit of new alerts costs with K live WebSocket streams.
//   - AlertFeed::Publish to K subscribers whose listener only counts (the feed's own cost:
//     copying the listeners out under the lock and calling each);
//   - the same with the listener the server's sessions use: a post to the subscriber's strand
//     on an io_context, the posted handlers run (by poll) inside the timed loop;
//   - what each woken session then does to fill its send queue: Router::ReadAlertFrames, the
//     next alerts read from the store (QueryEngine::ListAlerts) and written as frame JSON, on
//     the simulated town's alert changelog (bench/micro_support.h SharedTown).
// Sockets are not involved: Beast's writes are the kernel's cost, measured end to end by
// bench/alert_latency.cc.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

#include "api/router.h"
#include "bench/micro_support.h"
#include "processors/alert_feed.h"

namespace ctrace::bench {
namespace {

void BM_AlertFeedPublish(benchmark::State& state) {
  const auto subscribers = static_cast<size_t>(state.range(0));
  AlertFeed feed;
  std::atomic<uint64_t> heard{0};
  for (size_t i = 0; i < subscribers; ++i) {
    feed.Subscribe([&heard](uint64_t) { heard.fetch_add(1, std::memory_order_relaxed); });
  }
  uint64_t seq = 1;
  for (auto _ : state) feed.Publish(++seq);
  if (heard.load() != state.iterations() * subscribers) state.SkipWithError("a listener was missed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * subscribers));
}
BENCHMARK(BM_AlertFeedPublish)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void BM_AlertFeedPublishToStrands(benchmark::State& state) {
  const auto subscribers = static_cast<size_t>(state.range(0));
  boost::asio::io_context io;
  AlertFeed feed;
  std::vector<uint64_t> woken(subscribers, 0);  // per subscriber, touched on its strand only
  for (size_t i = 0; i < subscribers; ++i) {
    auto strand = boost::asio::make_strand(io);
    feed.Subscribe([strand, &woken, i](uint64_t) {
      boost::asio::post(strand, [&woken, i] { ++woken[i]; });
    });
  }
  uint64_t seq = 1;
  for (auto _ : state) {
    feed.Publish(++seq);
    io.poll();
    io.restart();
  }
  for (const uint64_t count : woken) {
    if (count != static_cast<uint64_t>(state.iterations())) state.SkipWithError("a session was not woken");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * subscribers));
}
BENCHMARK(BM_AlertFeedPublishToStrands)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

// The Router's ingest side is not used here.
class NoIngest final : public IngestService {
 public:
  IngestResult Ingest(std::string_view, BodyFormat) override { return {}; }
  bool WaitApplied(uint64_t, std::chrono::milliseconds) override { return true; }
};

void BM_AlertFrames(benchmark::State& state) {
  LoadedTown& town = SharedTown();
  const auto limit = static_cast<size_t>(state.range(0));
  if (town.alerts < limit) {
    state.SkipWithError("the town has fewer alerts than one read asks for");
    return;
  }
  NoIngest ingest;
  Router router(*town.query, ingest);
  const uint64_t starts = town.alerts - limit + 1;  // since = 0 .. alerts - limit
  uint64_t since = 0;
  size_t frames = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const auto read = router.ReadAlertFrames(since, limit);
    frames += read.size();
    for (const auto& frame : read) bytes += frame.text.size();
    since = (since + 7919) % starts;
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["town_alerts"] = static_cast<double>(town.alerts);
}
// 1: a live session woken for one new alert; 64: a burst; 1024: a full send queue (backlog).
BENCHMARK(BM_AlertFrames)->Arg(1)->Arg(64)->Arg(1024);

}  // namespace
}  // namespace ctrace::bench
