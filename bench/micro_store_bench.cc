// Index writes (stores/state_store): StateStore::Begin, then PutEvent and PutVisit for each
// check-in of a batch, then Commit with the applied position, into a real RocksDB in a scratch
// directory, as the engine writes a batch of new visits. Items are check-ins (one event and
// one visit each: five keys over the events, event_ids, expiry, visits and venue_visits
// column families).
//
// Baseline: the same number of keys of about the same sizes written by a plain RocksDB
// WriteBatch into one column family with RocksDB's default options, so the store's overhead
// reads as a ratio: /0 in the order a naive writer makes them (check-in by check-in), /1 each
// batch sorted by key first (the store commits its batches in key order).
#include <benchmark/benchmark.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/micro_support.h"

namespace ctrace::bench {
namespace {

constexpr int kPeople = 100'000;
constexpr int kVenues = 10'000;

// Check-in `n` of an endless stream: people and venues cycle, times move forward, every id is
// new, so every write adds keys (as fresh events do) rather than overwriting them.
void MakeCheckin(uint64_t n, Event* event, VisitRecord* visit) {
  const TimeMs start = kSpanEnd - 30 * kDay + static_cast<TimeMs>(n) * 997;
  event->type = EventType::kCheckin;
  event->id = "c-" + std::to_string(n);
  event->person = "P" + std::to_string(1'000'000 + n % kPeople);
  event->venue = "V-D01-CAFE-" + std::to_string(n * 7919 % kVenues);
  event->source = n % 3 == 0 ? "pc-covid" : "";
  event->time = start;
  visit->person = event->person;
  visit->venue = event->venue;
  visit->start = start;
  visit->end = start + 45 * kMinute;
  visit->checked_out = n % 5 != 0;
}

// Check-ins made outside the timed loop, a pool at a time: refilling pauses the timer, which
// costs about a microsecond, so it is done once per pool rather than once per batch.
class CheckinPool {
 public:
  explicit CheckinPool(size_t batch)
      : batch_(batch), size_(std::max<size_t>(8 * batch, 8192) / batch * batch) {}

  // The index in the pool of the next `batch` check-ins; calls refill(first n, count) with the
  // timer paused when the pool is used up.
  template <typename Refill>
  size_t Next(benchmark::State& state, Refill&& refill) {
    if (cursor_ == size_) cursor_ = 0;
    if (cursor_ == 0) {
      state.PauseTiming();
      refill(next_, size_);
      next_ += size_;
      state.ResumeTiming();
    }
    const size_t first = cursor_;
    cursor_ += batch_;
    return first;
  }
  size_t size() const { return size_; }

 private:
  size_t batch_;
  size_t size_;
  size_t cursor_ = 0;
  uint64_t next_ = 0;
};

void BM_StoreWrite(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  ScratchDir dir("ctrace-micro-store");
  auto store = OpenStore(dir.path());
  CheckinPool pool(batch);
  std::vector<Event> events(pool.size());
  std::vector<VisitRecord> visits(pool.size());
  const auto refill = [&](uint64_t n, size_t count) {
    for (size_t i = 0; i < count; ++i) MakeCheckin(n + i, &events[i], &visits[i]);
  };
  int64_t position = 0;
  for (auto _ : state) {
    const size_t first = pool.Next(state, refill);
    auto txn = store->Begin();
    for (size_t i = first; i < first + batch; ++i) {
      txn->PutEvent(events[i]);
      txn->PutVisit(visits[i]);
    }
    position += static_cast<int64_t>(batch);
    std::string error;
    if (!store->Commit(*txn, {{0, position}}, &error)) state.SkipWithError(error.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_StoreWrite)->Arg(1)->Arg(100)->Arg(1000)->ArgName("batch")->UseRealTime();

void BM_StoreWriteBaselineRocksDb(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const bool sorted = state.range(1) != 0;
  ScratchDir dir("ctrace-micro-rocksdb");
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  const auto status = rocksdb::DB::Open(options, dir.path().string(), &raw);
  if (!status.ok()) {
    state.SkipWithError(status.ToString().c_str());
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  CheckinPool pool(batch);
  constexpr size_t kKeysPerCheckin = 5;
  std::vector<std::pair<std::string, std::string>> keys(pool.size() * kKeysPerCheckin);
  const auto refill = [&](uint64_t n, size_t count) {
    Event event;
    VisitRecord visit;
    for (size_t i = 0; i < count; ++i) {
      MakeCheckin(n + i, &event, &visit);
      std::string t(8, '\0');
      for (int b = 0; b < 8; ++b) t[static_cast<size_t>(b)] = static_cast<char>((n + i) >> (56 - 8 * b));
      // About the store's sizes: events, event_ids, expiry, visits, venue_visits.
      auto* key = &keys[i * kKeysPerCheckin];
      key[0] = {"e" + event.person + '\0' + t + event.id, std::string(48, 'v')};
      key[1] = {"i" + event.id, event.person};
      key[2] = {"x" + t + event.person + '\0' + event.id, "\x01"};
      key[3] = {"v" + event.person + '\0' + t + event.venue, std::string(9, 'e')};
      key[4] = {"w" + event.venue + '\0' + t + event.person, std::string(9, 'e')};
    }
    if (sorted) {
      for (size_t first = 0; first < count; first += batch) {
        std::sort(keys.begin() + static_cast<std::ptrdiff_t>(first * kKeysPerCheckin),
                  keys.begin() + static_cast<std::ptrdiff_t>((first + batch) * kKeysPerCheckin));
      }
    }
  };
  for (auto _ : state) {
    const size_t first = pool.Next(state, refill);
    rocksdb::WriteBatch write;
    for (size_t k = first * kKeysPerCheckin; k < (first + batch) * kKeysPerCheckin; ++k) {
      write.Put(keys[k].first, keys[k].second);
    }
    const auto written = db->Write(rocksdb::WriteOptions(), &write);
    if (!written.ok()) state.SkipWithError(written.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_StoreWriteBaselineRocksDb)
    ->ArgsProduct({{1, 100, 1000}, {0, 1}})
    ->ArgNames({"batch", "sorted"})
    ->UseRealTime();

}  // namespace
}  // namespace ctrace::bench
