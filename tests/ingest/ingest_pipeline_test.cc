// The embedded ingest path: body in, per-line outcomes out, accepted events durable in a real
// embedded log (RocksDB in a temporary directory).
#include "ingest/ingest_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ingest/embedded_log.h"
#include "tests/support/temp_dir.h"

namespace ctrace {
namespace {

using test_support::TempDir;

constexpr TimeMs kNow = 1'795'737'600'000;  // 2026-11-27T00:00:00Z

std::string CheckinJson(const std::string& id, const std::string& person, const std::string& ts) {
  return R"({"type":"checkin","id":")" + id + R"(","person":")" + person + R"(","venue":"CAFE","ts":")" + ts + R"("})";
}

struct RejectionRow {
  size_t line;
  std::string id;
  std::string reason;
  bool operator==(const RejectionRow&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const RejectionRow& r) {
    return os << "{line " << r.line << ", id '" << r.id << "', " << r.reason << "}";
  }
};

std::vector<RejectionRow> Rows(const IngestResult& result) {
  std::vector<RejectionRow> rows;
  for (const auto& rejection : result.rejected) rows.push_back({rejection.line, rejection.id, rejection.reason});
  return rows;
}

class IngestPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LogOptions options;
    options.sync = false;
    std::string error;
    log_ = EmbeddedLog::Open(dir_.Sub("log").string(), options, &error);
    ASSERT_NE(log_, nullptr) << error;
    MakePipeline(IngestOptions{});
  }

  void MakePipeline(IngestOptions options) {
    pipeline_ = std::make_unique<IngestPipeline>(log_.get(), &clock_, params_, &applied_, options);
  }

  std::vector<std::string> LoggedIds() {
    std::vector<LogRecord> records;
    std::string error;
    EXPECT_TRUE(log_->Read({}, 1000, &records, &error)) << error;
    std::vector<std::string> ids;
    for (const auto& record : records) ids.push_back(record.event.id);
    return ids;
  }

  TempDir dir_{"ctrace-ingest-"};
  ManualClock clock_{kNow};
  TracingParams params_;
  AppliedPositions applied_;
  std::unique_ptr<EmbeddedLog> log_;
  std::unique_ptr<IngestPipeline> pipeline_;
};

TEST_F(IngestPipelineTest, MixedNdjsonBodyGivesPerLineOutcomes) {
  const std::vector<std::string> lines = {
      CheckinJson("c1", "P1", "2026-11-20T08:00:00Z"),                                   // 1 accepted
      R"({"type":"checkin","id":"c2","person":"P1")",                                    // 2 malformed
      "",                                                                                // 3 skipped
      CheckinJson("c1", "P1", "2026-11-20T08:00:00Z"),                                   // 4 duplicate
      R"({"type":"test_result","id":"t1","person":"P1","sampled_at":"2026-11-21T10:00:00Z","result":"positive"})"
      "\r",                                                                              // 5 accepted (CRLF)
      CheckinJson("old", "P2", "2026-10-01T08:00:00Z"),                                  // 6 too_old
      CheckinJson("fut", "P2", "2026-11-27T00:05:00.001Z"),                              // 7 in_future
      "   ",                                                                             // 8 skipped
      R"({"type":"checkout","id":"o1","person":"P1","venue":"CAFE","ts":"2026-11-20T09:00:00+07:00"})",  // 9
      R"({"type":"checkin","id":"b1","person":"A B","venue":"CAFE","ts":"2026-11-20T08:00:00Z"})",      // 10
      CheckinJson("edge", "P3", "2026-11-27T00:05:00Z"),  // 11 exactly at the skew limit: accepted
  };
  std::string body;
  for (const auto& line : lines) body += line + "\n";
  body.pop_back();  // no newline after the last line

  const IngestResult result = pipeline_->Ingest(body, BodyFormat::kNdjson);
  ASSERT_EQ(result.status, IngestStatus::kOk) << result.message;
  EXPECT_EQ(result.accepted, 4u);
  EXPECT_EQ(result.duplicates, 1u);
  const auto rows = Rows(result);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[0].reason, "malformed_json");
  EXPECT_EQ(rows[1], (RejectionRow{6, "old", "too_old"}));
  EXPECT_EQ(rows[2], (RejectionRow{7, "fut", "in_future"}));
  EXPECT_EQ(rows[3], (RejectionRow{10, "b1", "bad_field:person"}));
  EXPECT_EQ(result.last_position, 4u);
  EXPECT_EQ(LoggedIds(), (std::vector<std::string>{"c1", "t1", "o1", "edge"}));

  // Every rejected line is a dead letter with its reason and raw text.
  const auto letters = log_->DeadLetters();
  ASSERT_EQ(letters.size(), 4u);
  std::multiset<std::string> reasons;
  for (const auto& letter : letters) reasons.insert(letter.reason);
  EXPECT_EQ(reasons, (std::multiset<std::string>{"malformed_json", "too_old", "in_future", "bad_field:person"}));
  bool found_raw = false;
  for (const auto& letter : letters) found_raw |= letter.raw == lines[6];
  EXPECT_TRUE(found_raw) << "the in_future line's raw text is kept";

  const auto counters = log_->Counters();
  EXPECT_EQ(counters.at("checkin.accepted"), 2u);
  EXPECT_EQ(counters.at("checkin.duplicate"), 1u);
  EXPECT_EQ(counters.at("test_result.accepted"), 1u);
  EXPECT_EQ(counters.at("checkout.accepted"), 1u);
  EXPECT_EQ(counters.at("rejected.too_old"), 1u);
  EXPECT_EQ(counters.at("rejected.in_future"), 1u);

  // The same body again: everything good is now a duplicate, the bad lines are rejected again.
  const IngestResult again = pipeline_->Ingest(body, BodyFormat::kNdjson);
  EXPECT_EQ(again.accepted, 0u);
  EXPECT_EQ(again.duplicates, 5u);
  EXPECT_EQ(again.rejected.size(), 4u);
  EXPECT_EQ(again.last_position, 4u);
}

TEST_F(IngestPipelineTest, JsonArrayBody) {
  const std::string body = "[" + CheckinJson("a1", "P1", "2026-11-20T08:00:00Z") + ",\n " +
                           CheckinJson("a2", "A B", "2026-11-20T08:00:00Z") + ", " +
                           CheckinJson("a1", "P1", "2026-11-20T08:00:00Z") + ", 1, " +
                           CheckinJson("a3", "P2", "2026-11-20T08:00:00Z") + "]";
  const IngestResult result = pipeline_->Ingest(body, BodyFormat::kJsonArray);
  ASSERT_EQ(result.status, IngestStatus::kOk) << result.message;
  EXPECT_EQ(result.accepted, 2u);
  EXPECT_EQ(result.duplicates, 1u);
  const auto rows = Rows(result);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (RejectionRow{2, "a2", "bad_field:person"})) << "lines are array index + 1";
  EXPECT_EQ(rows[1].line, 4u);
  EXPECT_EQ(rows[1].reason, "malformed_json") << "an element that is not an object";
  EXPECT_EQ(LoggedIds(), (std::vector<std::string>{"a1", "a3"}));
}

TEST_F(IngestPipelineTest, EmptyArrayAndEmptyBodyAreFine) {
  for (const auto& [body, format] : std::vector<std::pair<std::string, BodyFormat>>{
           {"[]", BodyFormat::kJsonArray}, {"", BodyFormat::kNdjson}, {"\n\n", BodyFormat::kNdjson}}) {
    const IngestResult result = pipeline_->Ingest(body, format);
    EXPECT_EQ(result.status, IngestStatus::kOk) << body;
    EXPECT_EQ(result.accepted + result.duplicates + result.rejected.size(), 0u) << body;
  }
  EXPECT_EQ(log_->NextPosition(), 0u);
}

TEST_F(IngestPipelineTest, BrokenJsonArrayIsABadBodyAndWritesNothing) {
  for (const std::string& body : {"[" + CheckinJson("a1", "P1", "2026-11-20T08:00:00Z"), std::string("{\"a\":1}"),
                                 std::string("[1,,2]"), std::string("not json")}) {
    const IngestResult result = pipeline_->Ingest(body, BodyFormat::kJsonArray);
    EXPECT_EQ(result.status, IngestStatus::kBadBody) << body;
    EXPECT_FALSE(result.message.empty()) << body;
    EXPECT_EQ(result.accepted, 0u);
  }
  EXPECT_EQ(log_->NextPosition(), 0u);
  EXPECT_TRUE(log_->DeadLetters().empty());
  EXPECT_TRUE(log_->Counters().empty());
}

TEST_F(IngestPipelineTest, BackPressureRejectsTheWholeBatchAndWritesNothing) {
  IngestOptions options;
  options.max_unapplied = 2;
  MakePipeline(options);
  // Two unapplied events: at the limit, still accepted.
  const IngestResult first = pipeline_->Ingest(
      CheckinJson("e1", "P", "2026-11-20T08:00:00Z") + "\n" + CheckinJson("e2", "P", "2026-11-20T09:00:00Z"),
      BodyFormat::kNdjson);
  ASSERT_EQ(first.status, IngestStatus::kOk);
  // A third makes the lag 3 > 2 ...
  ASSERT_EQ(pipeline_->Ingest(CheckinJson("e3", "P", "2026-11-20T10:00:00Z"), BodyFormat::kNdjson).status,
            IngestStatus::kOk);
  const auto counters_before = log_->Counters();
  // ... so the next batch is refused whole: good lines, bad lines, nothing is written.
  const IngestResult refused = pipeline_->Ingest(
      CheckinJson("e4", "P", "2026-11-20T11:00:00Z") + "\n{broken\n", BodyFormat::kNdjson);
  EXPECT_EQ(refused.status, IngestStatus::kOverloaded);
  EXPECT_FALSE(refused.message.empty());
  EXPECT_EQ(refused.accepted, 0u);
  EXPECT_TRUE(refused.rejected.empty());
  EXPECT_EQ(log_->NextPosition(), 3u);
  EXPECT_TRUE(log_->DeadLetters().empty());
  EXPECT_EQ(log_->Counters(), counters_before);

  // Once the processors catch up, ingest resumes.
  applied_.Set({{0, 2}});
  const IngestResult resumed = pipeline_->Ingest(CheckinJson("e4", "P", "2026-11-20T11:00:00Z"), BodyFormat::kNdjson);
  EXPECT_EQ(resumed.status, IngestStatus::kOk);
  EXPECT_EQ(resumed.accepted, 1u);
  EXPECT_EQ(LoggedIds(), (std::vector<std::string>{"e1", "e2", "e3", "e4"}));
}

TEST_F(IngestPipelineTest, WaitAppliedFollowsAppliedPositions) {
  const IngestResult result = pipeline_->Ingest(
      CheckinJson("e1", "P", "2026-11-20T08:00:00Z") + "\n" + CheckinJson("e2", "P", "2026-11-20T09:00:00Z"),
      BodyFormat::kNdjson);
  ASSERT_EQ(result.status, IngestStatus::kOk);
  ASSERT_EQ(result.last_position, 2u);
  EXPECT_FALSE(pipeline_->WaitApplied(result.last_position, std::chrono::milliseconds(10)));
  applied_.Set({{0, 1}});
  EXPECT_FALSE(pipeline_->WaitApplied(result.last_position, std::chrono::milliseconds(10)));
  EXPECT_TRUE(pipeline_->WaitApplied(1, std::chrono::milliseconds(0)));
  EXPECT_TRUE(pipeline_->WaitApplied(0, std::chrono::milliseconds(0)));

  // A waiter is woken when the positions are published.
  std::atomic<bool> started{false};
  auto waiter = std::async(std::launch::async, [&] {
    started = true;
    return pipeline_->WaitApplied(result.last_position, std::chrono::seconds(60));
  });
  while (!started) std::this_thread::yield();
  applied_.Set({{0, 2}});
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(applied_.Get(), (LogPositions{{0, 2}}));
}

TEST_F(IngestPipelineTest, EventClockJudgesAgainstTheLatestEventTime) {
  EventClock clock(0);
  IngestOptions options;
  options.event_clock = true;
  IngestPipeline pipeline(log_.get(), &clock, params_, &applied_, options);
  // Far "in the future" of the clock's epoch start, yet accepted: nothing is in the future.
  const IngestResult first = pipeline.Ingest(CheckinJson("e1", "P", "2026-11-20T08:00:00Z"), BodyFormat::kNdjson);
  EXPECT_EQ(first.accepted, 1u);
  EXPECT_EQ(clock.Now(), 1'795'132'800'000 + 8 * kHour) << "the clock follows the accepted event";
  // Now 31 days before that is too old.
  const IngestResult second = pipeline.Ingest(
      CheckinJson("e2", "P", "2026-10-20T07:59:59Z") + "\n" + CheckinJson("e3", "P", "2027-01-01T00:00:00Z"),
      BodyFormat::kNdjson);
  EXPECT_EQ(second.accepted, 1u);
  ASSERT_EQ(second.rejected.size(), 1u);
  EXPECT_EQ(second.rejected[0].reason, "too_old");
}

// IngestPipeline keeps its EventDecoder in a function-level `thread_local`, built from the
// options of whichever pipeline first ingests on a thread: a second pipeline on that thread
// with other decoder options is judged with the first one's.
TEST_F(IngestPipelineTest, DecoderOptionsArePerPipeline) {
  ASSERT_EQ(pipeline_->Ingest(CheckinJson("e1", "P", "2026-11-20T08:00:00Z"), BodyFormat::kNdjson).accepted, 1u);
  IngestOptions small;
  small.decoder.max_event_bytes = 64;
  IngestPipeline strict(log_.get(), &clock_, params_, &applied_, small);
  const std::string event = CheckinJson("e2-with-a-long-id-to-pass-64-bytes", "P", "2026-11-20T08:00:00Z");
  ASSERT_GT(event.size(), 64u);
  const IngestResult result = strict.Ingest(event, BodyFormat::kNdjson);
  ASSERT_EQ(result.rejected.size(), 1u) << "a " << event.size() << "-byte event passed a 64-byte limit";
  EXPECT_EQ(result.rejected[0].reason, "too_large");
}

}  // namespace
}  // namespace ctrace
