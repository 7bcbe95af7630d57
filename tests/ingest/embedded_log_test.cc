// The embedded log against a real RocksDB in a temporary directory.
#include "ingest/embedded_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace ctrace {
namespace {

using test_support::TempDir;

constexpr TimeMs kNow = 1'795'737'600'000;  // 2026-11-27T00:00:00Z

Event Checkin(std::string id, std::string person, TimeMs ts) {
  Event event;
  event.type = EventType::kCheckin;
  event.id = std::move(id);
  event.person = std::move(person);
  event.venue = "CAFE";
  event.time = ts;
  return event;
}

Event FullTest(std::string id) {
  Event event;
  event.type = EventType::kTestResult;
  event.id = std::move(id);
  event.person = "P.1:x_y-z";
  event.source = "hcdc";
  event.time = kNow - kDay;
  event.result = TestOutcome::kPositive;
  event.resulted_at = kNow - kHour;
  event.kind = TestKind::kAntigen;
  event.lab = "LAB-2";
  return event;
}

class EmbeddedLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(bool sync = false) {
    log_.reset();
    LogOptions options;
    options.sync = sync;
    std::string error;
    log_ = EmbeddedLog::Open(dir_.Sub("log").string(), options, &error);
    ASSERT_NE(log_, nullptr) << error;
  }

  // Appends and returns the outcomes; fails the test on a write error.
  std::vector<AppendOutcome> Append(const std::vector<Event>& events, const std::vector<DeadLetter>& letters = {},
                                    uint64_t* end = nullptr) {
    std::vector<AppendOutcome> outcomes;
    uint64_t written_end = 0;
    std::string error;
    EXPECT_TRUE(log_->Append(events, letters, kNow, &outcomes, &written_end, &error)) << error;
    EXPECT_EQ(outcomes.size(), events.size());
    EXPECT_EQ(written_end, log_->NextPosition());
    if (end != nullptr) *end = written_end;
    return outcomes;
  }

  std::vector<LogRecord> ReadAll(int64_t from = 0, size_t max = 1'000'000) {
    std::vector<LogRecord> records;
    std::string error;
    EXPECT_TRUE(log_->Read({{0, from}}, max, &records, &error)) << error;
    return records;
  }

  TempDir dir_{"ctrace-log-"};
  std::unique_ptr<EmbeddedLog> log_;
};

using Outcomes = std::vector<AppendOutcome>;
constexpr auto kAccepted = AppendOutcome::kAccepted;
constexpr auto kDuplicate = AppendOutcome::kDuplicate;

TEST_F(EmbeddedLogTest, NewLogIsEmpty) {
  EXPECT_EQ(log_->NextPosition(), 0u);
  EXPECT_EQ(log_->End(), (LogPositions{{0, 0}}));
  EXPECT_TRUE(ReadAll().empty());
  EXPECT_TRUE(log_->Counters().empty());
  EXPECT_TRUE(log_->DeadLetters().empty());
  EXPECT_FALSE(log_->OldestEventTime());
}

TEST_F(EmbeddedLogTest, AppendReadRoundTripKeepsOrderAndEveryField) {
  Event decl;
  decl.type = EventType::kDeclaration;
  decl.id = "d-1";
  decl.person = "P2";
  decl.time = kNow - 2 * kDay;
  decl.onset = kNow - 3 * kDay;
  decl.symptoms = {"fever", "", std::string(32, 's')};
  const std::vector<Event> events = {Checkin("c-1", "P1", kNow - kHour), FullTest("t-1"), decl,
                                     Checkin("c-0", "P1", kNow - 5 * kDay)};
  uint64_t end = 0;
  EXPECT_EQ(Append(events, {}, &end), (Outcomes{kAccepted, kAccepted, kAccepted, kAccepted}));
  EXPECT_EQ(end, 4u);
  const auto records = ReadAll();
  ASSERT_EQ(records.size(), 4u);
  for (size_t idx = 0; idx < records.size(); ++idx) {
    EXPECT_EQ(records[idx].partition, 0);
    EXPECT_EQ(records[idx].offset, static_cast<int64_t>(idx));
    EXPECT_EQ(records[idx].event, events[idx]) << idx;
  }
  EXPECT_EQ(log_->OldestEventTime(), kNow - 5 * kDay);
}

TEST_F(EmbeddedLogTest, ReadResumesFromAppliedPositionAndHonoursMax) {
  std::vector<Event> events;
  for (int idx = 0; idx < 10; ++idx) events.push_back(Checkin("e" + std::to_string(idx), "P", kNow - idx));
  Append(events);
  auto records = ReadAll(3, 4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records.front().offset, 3);
  EXPECT_EQ(records.front().event.id, "e3");
  EXPECT_EQ(records.back().offset, 6);
  EXPECT_EQ(ReadAll(9).size(), 1u);
  EXPECT_TRUE(ReadAll(10).empty());
  EXPECT_TRUE(ReadAll(50).empty());
  // Other partitions in the positions are ignored: the embedded log is partition 0.
  std::vector<LogRecord> other;
  std::string error;
  ASSERT_TRUE(log_->Read({{1, 7}}, 100, &other, &error)) << error;
  EXPECT_EQ(other.size(), 10u);
  // Advance() gives the next positions.
  EXPECT_EQ(Advance({{0, 3}}, records), (LogPositions{{0, 7}}));
}

TEST_F(EmbeddedLogTest, DuplicatesWithinABatch) {
  const Event e1 = Checkin("e1", "P", kNow);
  Event same_id_other_content = Checkin("e1", "Q", kNow - kHour);
  uint64_t end = 0;
  EXPECT_EQ(Append({e1, Checkin("e2", "P", kNow), e1, same_id_other_content}, {}, &end),
            (Outcomes{kAccepted, kAccepted, kDuplicate, kDuplicate}));
  EXPECT_EQ(end, 2u) << "duplicates take no position";
  const auto records = ReadAll();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].event, e1);
  EXPECT_EQ(records[1].event.id, "e2");
  const auto counters = log_->Counters();
  EXPECT_EQ(counters.at("checkin.accepted"), 2u);
  EXPECT_EQ(counters.at("checkin.duplicate"), 2u);
}

TEST_F(EmbeddedLogTest, DuplicatesAcrossBatchesAndAcrossReopen) {
  EXPECT_EQ(Append({Checkin("e1", "P", kNow)}), (Outcomes{kAccepted}));
  EXPECT_EQ(Append({Checkin("e2", "P", kNow), Checkin("e1", "P", kNow)}), (Outcomes{kAccepted, kDuplicate}));
  Reopen(/*sync=*/true);
  EXPECT_EQ(log_->NextPosition(), 2u) << "the end survives a reopen";
  uint64_t end = 0;
  EXPECT_EQ(Append({Checkin("e1", "P", kNow), Checkin("e3", "P", kNow), Checkin("e2", "X", kNow)}, {}, &end),
            (Outcomes{kDuplicate, kAccepted, kDuplicate}));
  EXPECT_EQ(end, 3u);
  const auto records = ReadAll();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].offset, 2);
  EXPECT_EQ(records[2].event.id, "e3");
}

TEST_F(EmbeddedLogTest, EmptyAppendWritesNothingButSucceeds) {
  uint64_t end = 99;
  EXPECT_TRUE(Append({}, {}, &end).empty());
  EXPECT_EQ(end, 0u);
  EXPECT_TRUE(log_->Counters().empty());
}

TEST_F(EmbeddedLogTest, DeadLettersKeepReasonAndAreCutTo4KiB) {
  const std::string big(10'000, 'x');
  const std::string exact(kDeadLetterRawLimit, 'y');
  const std::string binary("{\"a\":\0\xff}", 9);
  Append({Checkin("ok", "P", kNow)},
         {{"too_large", big, std::nullopt}, {"bad_field:person", exact, std::nullopt},
          {"malformed_json", binary, std::nullopt}, {"too_large", "{}", std::nullopt}});
  const auto letters = log_->DeadLetters();
  ASSERT_EQ(letters.size(), 4u);
  EXPECT_EQ(letters[0].reason, "too_large");
  EXPECT_EQ(letters[0].raw.size(), kDeadLetterRawLimit);
  EXPECT_EQ(letters[0].raw, big.substr(0, kDeadLetterRawLimit));
  EXPECT_EQ(letters[1].reason, "bad_field:person");
  EXPECT_EQ(letters[1].raw, exact) << "exactly 4 KiB is kept whole";
  EXPECT_EQ(letters[2].reason, "malformed_json");
  EXPECT_EQ(letters[2].raw, binary) << "raw bytes, NULs included";
  EXPECT_EQ(letters[3].raw, "{}");
  const auto counters = log_->Counters();
  EXPECT_EQ(counters.at("rejected.too_large"), 2u);
  EXPECT_EQ(counters.at("rejected.bad_field:person"), 1u);
  EXPECT_EQ(counters.at("rejected.malformed_json"), 1u);
  EXPECT_EQ(counters.at("checkin.accepted"), 1u);
  // Dead letters take no log position.
  EXPECT_EQ(log_->NextPosition(), 1u);

  // They survive a reopen, and later ones sort after them.
  Reopen();
  Append({}, {{"unknown_type", "{\"type\":\"x\"}", std::nullopt}});
  const auto again = log_->DeadLetters();
  ASSERT_EQ(again.size(), 5u);
  EXPECT_EQ(again[0].raw.size(), kDeadLetterRawLimit);
  EXPECT_EQ(again[4].reason, "unknown_type");
}

TEST_F(EmbeddedLogTest, CountersArePersistedAndAccumulate) {
  Append({Checkin("e1", "P", kNow), FullTest("t1"), Checkin("e1", "P", kNow)}, {{"too_old", "{}", std::nullopt}});
  Append({FullTest("t1"), FullTest("t2")});
  const std::map<std::string, uint64_t> expected = {
      {"checkin.accepted", 1},    {"checkin.duplicate", 1},  {"test_result.accepted", 2},
      {"test_result.duplicate", 1}, {"rejected.too_old", 1},
  };
  EXPECT_EQ(log_->Counters(), expected);
  Reopen();
  EXPECT_EQ(log_->Counters(), expected);
  Append({Checkin("e2", "P", kNow)});
  EXPECT_EQ(log_->Counters().at("checkin.accepted"), 2u);
}

TEST_F(EmbeddedLogTest, WaitForMoreReturnsAtOnceWhenThereIsMore) {
  Append({Checkin("e1", "P", kNow)});
  const auto start = std::chrono::steady_clock::now();
  log_->WaitForMore({{0, 0}}, std::chrono::seconds(30));
  log_->WaitForMore({}, std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(EmbeddedLogTest, WaitForMoreTimesOutWhenThereIsNothing) {
  Append({Checkin("e1", "P", kNow)});
  const auto start = std::chrono::steady_clock::now();
  log_->WaitForMore({{0, 1}}, std::chrono::milliseconds(20));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

TEST_F(EmbeddedLogTest, WaitForMoreWakesOnAppend) {
  std::atomic<bool> waiting{false};
  auto waiter = std::async(std::launch::async, [&] {
    waiting = true;
    const auto start = std::chrono::steady_clock::now();
    log_->WaitForMore({{0, 0}}, std::chrono::seconds(60));
    return std::chrono::steady_clock::now() - start;
  });
  while (!waiting) std::this_thread::yield();
  // Only duplicates or dead letters do not count as more.
  Append({Checkin("e1", "P", kNow)});
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the waiter was not woken by the append";
  EXPECT_LT(waiter.get(), std::chrono::seconds(20));
}

TEST_F(EmbeddedLogTest, SinkWriteAndTickets) {
  SinkBatch batch;
  batch.events = {Checkin("e1", "P", kNow), Checkin("e2", "P", kNow), Checkin("e1", "P", kNow)};
  batch.dead_letters = {{"unknown_type", "{}", std::nullopt}};
  batch.receive_time = kNow;
  const SinkResult result = log_->Write(batch);
  ASSERT_EQ(result.status, SinkStatus::kOk) << result.error;
  EXPECT_EQ(result.outcomes, (Outcomes{kAccepted, kAccepted, kDuplicate}));
  EXPECT_EQ(result.ticket, 2u);
  LogPositions positions;
  ASSERT_TRUE(log_->TicketPositions(result.ticket, &positions));
  EXPECT_EQ(positions, (LogPositions{{0, 2}}));
  EXPECT_EQ(log_->WrittenEnd(), (LogPositions{{0, 2}}));
}

TEST_F(EmbeddedLogTest, EraseBeforeRemovesOldEventsTheirIdsAndOldDeadLetters) {
  Append({Checkin("old1", "P", kNow - 40 * kDay), Checkin("new1", "P", kNow), Checkin("old2", "Q", kNow - 31 * kDay)});
  std::vector<AppendOutcome> outcomes;
  uint64_t end = 0;
  std::string error;
  ASSERT_TRUE(log_->Append({}, {{"too_old", "{\"id\":\"old-letter\"}", kNow - 35 * kDay}}, kNow, &outcomes, &end, &error));
  ASSERT_TRUE(log_->Append({}, {{"unknown_type", "{\"id\":\"new-letter\"}", std::nullopt}}, kNow, &outcomes, &end,
                           &error));
  uint64_t erased = 0;
  ASSERT_TRUE(log_->EraseBefore(kNow - 30 * kDay, &erased, &error)) << error;
  EXPECT_EQ(erased, 2u);
  const auto records = ReadAll();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].event.id, "new1");
  EXPECT_EQ(records[0].offset, 1) << "positions are not reused";
  const auto letters = log_->DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].reason, "unknown_type");
  EXPECT_EQ(log_->OldestEventTime(), kNow);
  EXPECT_FALSE(log_->AnyFileWhollyBefore(kNow - 30 * kDay));
  // An expired id is forgotten with its event.
  EXPECT_EQ(Append({Checkin("old1", "P", kNow)}), (Outcomes{kAccepted}));
  EXPECT_EQ(log_->NextPosition(), 4u);
}

TEST_F(EmbeddedLogTest, SecondOpenOfTheSameDirectoryFails) {
  std::string error;
  auto second = EmbeddedLog::Open(dir_.Sub("log").string(), LogOptions{}, &error);
  EXPECT_EQ(second, nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace ctrace
