// `ctrace replay` end to end on the real binary ($CTRACE_BIN) and real RocksDB: a random town
// is posted to `ctrace serve` at a fixed clock, the service stopped, and then
//   - a replay of the untouched directory verifies clean (exit 0), also against the running
//     service through its API, and in Kafka mode when a broker is there;
//   - a state store tampered with through RocksDB (one levels record deleted, one person's
//     exposed_at altered in persons and levels) gives exactly those two differences (exit 1);
//   - two replays give byte-identical reports;
//   - --from/--to and --topics select exactly the events of the log in range;
//   - bad flags exit 2.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/kafka_support.h"
#include "tests/support/reference_decoder.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/town_generator.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

constexpr const char* kClock = "fixed:2026-11-27T00:00:00Z";
const Millis kNow = UtcMillis(2026, 11, 27);

std::string Binary() {
  const char* bin = std::getenv("CTRACE_BIN");
  return bin == nullptr ? "" : bin;
}

int ExitCode(const CommandResult& r) { return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1; }

CommandResult Replay(std::vector<std::string> args) {
  args.insert(args.begin(), {Binary(), "replay", "--clock", kClock, "--progress", "lines"});
  return RunCommand(args);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json ReadJson(const std::filesystem::path& path) { return json::parse(ReadFile(path), nullptr, false); }

void CopyDir(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

// Posts `lines` in batches of 500 with ?wait=applied.
void PostTown(HttpClient& client, const std::vector<std::string>& lines) {
  for (size_t first = 0; first < lines.size(); first += 500) {
    const std::vector<std::string> batch(lines.begin() + static_cast<std::ptrdiff_t>(first),
                                         lines.begin() + static_cast<std::ptrdiff_t>(std::min(first + 500, lines.size())));
    json answer;
    const Status posted = PostNdjson(client, batch, /*wait_applied=*/true, &answer);
    ASSERT_TRUE(posted.ok()) << posted.message();
  }
}

// The state store of a stopped data directory, opened with its column families, for tampering.
class RawStateDb {
 public:
  explicit RawStateDb(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    const auto status = rocksdb::DB::Open(rocksdb::DBOptions(), dir, descriptors, &handles_, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
    for (size_t idx = 0; idx < names.size(); ++idx) by_name_[names[idx]] = handles_[idx];
  }
  ~RawStateDb() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) { return by_name_.at(name); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

// stores/state_store.h: T = 8-byte big-endian time with the sign bit flipped.
Millis DecodeT(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t idx = 0; idx < 8; ++idx) v = (v << 8) | static_cast<unsigned char>(bytes[idx]);
  return static_cast<Millis>(v ^ (1ull << 63));
}
void EncodeT(Millis t, std::string* bytes) {
  uint64_t v = static_cast<uint64_t>(t) ^ (1ull << 63);
  for (int idx = 7; idx >= 0; --idx, v >>= 8) (*bytes)[static_cast<size_t>(idx)] = static_cast<char>(v & 0xff);
}

class ReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("ctrace-replay-test-");
    TownOptions options;
    options.seed = 11;
    options.now = kNow;
    town_ = new Town(GenerateTown(options));
    ServeProcess serve({.data_dir = Data(), .clock = kClock});
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    PostTown(serve.client(), town_->lines);
    const Status stopped = serve.Stop();
    ASSERT_TRUE(stopped.ok()) << stopped.message();
  }
  static void TearDownTestSuite() {
    delete town_;
    delete dir_;
  }
  void SetUp() override {
    if (Binary().empty()) GTEST_SKIP() << "CTRACE_BIN is not set";
  }
  static std::string Data() { return dir_->Sub("data").string(); }

  // The distinct valid events of the town (what the log holds), by id.
  static std::map<std::string, RefEvent> LogEvents() {
    std::map<std::string, RefEvent> events;
    for (const auto& line : town_->lines) {
      const RefJudgement judged = JudgeLine(line, ReferenceParams{}, kNow);
      if (judged.event) events.emplace(judged.event->id, *judged.event);
    }
    return events;
  }

  static TempDir* dir_;
  static Town* town_;
};

TempDir* ReplayTest::dir_ = nullptr;
Town* ReplayTest::town_ = nullptr;

uint64_t Sum(const json& report, const std::string& field) {
  uint64_t total = 0;
  for (const auto& [type, counts] : report["summary"]["by_type"].items()) total += counts[field].get<uint64_t>();
  return total;
}

TEST_F(ReplayTest, UntouchedDirectoryVerifiesClean) {
  TempDir out;
  const auto report_path = out.Sub("report.json");
  const CommandResult r = Replay({"--data", Data(), "--verify", "--report", report_path.string()});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  const json report = ReadJson(report_path);
  ASSERT_TRUE(report.is_object()) << ReadFile(report_path);
  EXPECT_EQ(report["verify"]["differences"], json::array());
  EXPECT_EQ(report["verify"]["against"], "data directory");
  EXPECT_GT(report["verify"]["rebuilt"]["exposed"].get<int>(), 0);
  EXPECT_GT(report["verify"]["rebuilt"]["cases"].get<int>(), 1);
  EXPECT_GT(report["verify"]["rebuilt"]["links"].get<int>(), 0);
  // Every event of the log was read and applied (the log holds no duplicates, and the
  // service accepted only live ones).
  EXPECT_EQ(Sum(report, "read"), LogEvents().size());
  EXPECT_EQ(Sum(report, "applied"), LogEvents().size());
  EXPECT_EQ(report["summary"]["rejected"], 0);
}

TEST_F(ReplayTest, TamperedStateGivesExactlyThoseDifferences) {
  TempDir copy;
  const auto data = copy.Sub("data");
  CopyDir(Data(), data);
  std::string deleted_person, deleted_level, altered_person;
  Millis old_exposed = 0, new_exposed = 0;
  {
    RawStateDb db((data / "state").string());
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.cf("levels")));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    const std::string first_key = it->key().ToString();
    deleted_level = std::to_string(static_cast<int>(first_key[0]));
    deleted_person = first_key.substr(1);
    it->Next();
    ASSERT_TRUE(it->Valid());
    const std::string second_key = it->key().ToString();
    std::string level_value = it->value().ToString();
    altered_person = second_key.substr(1);
    it.reset();
    ASSERT_TRUE(db.db()->Delete(rocksdb::WriteOptions(), db.cf("levels"), first_key).ok());

    // levels: T(exposed_at) via; persons: level(1) exposed_at(8 LE) ...
    old_exposed = DecodeT(level_value);
    new_exposed = old_exposed + 60'000;
    EncodeT(new_exposed, &level_value);
    ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.cf("levels"), second_key, level_value).ok());
    std::string person_value;
    ASSERT_TRUE(db.db()->Get(rocksdb::ReadOptions(), db.cf("persons"), altered_person, &person_value).ok());
    uint64_t le = static_cast<uint64_t>(new_exposed);
    for (size_t idx = 1; idx <= 8; ++idx, le >>= 8) person_value[idx] = static_cast<char>(le & 0xff);
    ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.cf("persons"), altered_person, person_value).ok());
  }
  const auto report_path = copy.Sub("report.json");
  const CommandResult r = Replay({"--data", data.string(), "--verify", "--report", report_path.string()});
  EXPECT_EQ(ExitCode(r), 1) << r.output;
  const json report = ReadJson(report_path);
  ASSERT_TRUE(report.is_object()) << ReadFile(report_path);
  json want = json::array();
  want.push_back({{"what", "level"}, {"key", deleted_person}, {"expected", deleted_level}, {"found", nullptr}});
  want.push_back({{"what", "exposed_at"},
                  {"key", altered_person},
                  {"expected", FormatRfc3339(old_exposed)},
                  {"found", FormatRfc3339(new_exposed)}});
  if (altered_person < deleted_person) std::swap(want[0], want[1]);
  EXPECT_EQ(report["verify"]["differences"], want) << report["verify"].dump(2);
  EXPECT_NE(r.output.find("difference: exposed_at " + altered_person), std::string::npos) << r.output;
}

TEST_F(ReplayTest, TwoReplaysGiveByteIdenticalReports) {
  TempDir out;
  const auto first = out.Sub("first.json");
  const auto second = out.Sub("second.json");
  ASSERT_EQ(ExitCode(Replay({"--data", Data(), "--verify", "--report", first.string()})), 0);
  ASSERT_EQ(ExitCode(Replay({"--data", Data(), "--verify", "--report", second.string()})), 0);
  const std::string a = ReadFile(first);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, ReadFile(second));
  EXPECT_EQ(a.find("ctrace-replay-"), std::string::npos) << "a scratch path leaked into the report";
  EXPECT_EQ(a.find(Data()), std::string::npos) << "the data path leaked into the report";
}

TEST_F(ReplayTest, FromAndToSelectTheEventsInRange) {
  const Millis from = kNow - 3 * kMsDay;
  const Millis to = kNow - 1 * kMsDay;
  const auto events = LogEvents();
  uint64_t in_range = 0, tests_in_range = 0;
  for (const auto& [id, event] : events) {
    if (event.EventTime() < from || event.EventTime() >= to) continue;
    ++in_range;
    if (event.type == RefEventType::kTestResult) ++tests_in_range;
  }
  ASSERT_GT(in_range, 0u);
  ASSERT_LT(in_range, events.size());

  TempDir out;
  const auto report_path = out.Sub("range.json");
  const CommandResult r = Replay({"--data", Data(), "--from", FormatRfc3339(from), "--to", FormatRfc3339(to),
                                  "--report", report_path.string()});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  const json report = ReadJson(report_path);
  EXPECT_EQ(Sum(report, "read"), events.size());
  EXPECT_EQ(Sum(report, "outside_range"), events.size() - in_range);
  EXPECT_EQ(Sum(report, "applied"), in_range);
  EXPECT_EQ(Sum(report, "duplicate") + Sum(report, "too_old"), 0u);
  EXPECT_EQ(report["from"], FormatRfc3339(from));
  EXPECT_EQ(report["to"], FormatRfc3339(to));

  const auto tests_path = out.Sub("tests.json");
  const CommandResult t = Replay({"--data", Data(), "--from", FormatRfc3339(from), "--to", FormatRfc3339(to),
                                  "--topics", "tests", "--report", tests_path.string()});
  ASSERT_EQ(ExitCode(t), 0) << t.output;
  const json tests = ReadJson(tests_path);
  EXPECT_EQ(Sum(tests, "applied"), tests_in_range);
  EXPECT_EQ(tests["summary"]["by_type"]["test_result"]["applied"], tests_in_range);
  EXPECT_EQ(tests["summary"]["by_type"]["checkin"]["applied"], 0);
}

TEST_F(ReplayTest, VerifiesARunningServiceThroughItsApi) {
  TempDir copy;
  const auto data = copy.Sub("data");
  CopyDir(Data(), data);
  ServeProcess serve({.data_dir = data.string(), .clock = kClock});
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.port());
  // The running service's log is read as it stands (read-only, no lock taken).
  const CommandResult r = Replay({"--data", data.string(), "--verify-url", url});
  EXPECT_EQ(ExitCode(r), 0) << r.output;
  EXPECT_NE(r.output.find("0 differences"), std::string::npos) << r.output;
  // Its state store is in use: the directory cannot be verified directly.
  const CommandResult locked = Replay({"--data", data.string(), "--verify"});
  EXPECT_EQ(ExitCode(locked), 2) << locked.output;
  EXPECT_NE(locked.output.find("--verify-url"), std::string::npos) << locked.output;
  const Status stopped = serve.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped.message();
}

TEST_F(ReplayTest, BadFlagsExitTwo) {
  EXPECT_EQ(ExitCode(Replay({"--data", Data(), "--from", "yesterday"})), 2);
  EXPECT_EQ(ExitCode(Replay({"--data", Data(), "--topics", "alerts"})), 2);
  EXPECT_EQ(ExitCode(Replay({"--data", Data(), "--verify-url", "https://example.org"})), 2);
  EXPECT_EQ(ExitCode(Replay({"--data", dir_->Sub("nothing-here").string()})), 2);
}

TEST_F(ReplayTest, KafkaLogVerifiesClean) {
  if (KafkaBrokers().empty()) GTEST_SKIP() << "CTRACE_KAFKA_BROKERS is not set (scripts/test.sh starts a broker)";
  const std::string prefix = UniqueTopicPrefix("replay");
  const Status created = CreateKafkaTopics(prefix, 3);
  ASSERT_TRUE(created.ok()) << created.message();
  TempDir dir("ctrace-replay-kafka-");
  const auto data = dir.Sub("data");
  {
    ServeProcess serve({.data_dir = data.string(), .clock = kClock, .extra_flags = KafkaServeFlags(prefix)});
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    PostTown(serve.client(), town_->lines);
    const Status stopped = serve.Stop();
    ASSERT_TRUE(stopped.ok()) << stopped.message();
  }
  const auto report_path = dir.Sub("report.json");
  const CommandResult r = Replay({"--data", data.string(), "--kafka", KafkaBrokers(), "--topic-prefix", prefix,
                                  "--verify", "--report", report_path.string()});
  ASSERT_EQ(ExitCode(r), 0) << r.output;
  const json report = ReadJson(report_path);
  EXPECT_EQ(report["source"], "kafka");
  EXPECT_EQ(report["verify"]["differences"], json::array());
  EXPECT_EQ(Sum(report, "applied"), LogEvents().size());
}

}  // namespace
}  // namespace ctrace::test_support
