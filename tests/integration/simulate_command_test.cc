// `ctrace simulate` run as a process ($CTRACE_BIN): --start, the rate flags reach the
// generator, the same flags give the same bytes, and bad flags are usage errors (exit 2).
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/time.h"
#include "tests/support/kafka_support.h"
#include "tests/support/temp_dir.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;

std::string Binary() {
  const char* bin = std::getenv("CTRACE_BIN");
  return bin == nullptr ? "" : bin;
}

int ExitCode(const CommandResult& r) { return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1; }

CommandResult Simulate(std::vector<std::string> args) {
  args.insert(args.begin(), {Binary(), "simulate", "--people", "300", "--venues", "40"});
  return RunCommand(args);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> ReadEvents(const std::filesystem::path& path) {
  std::vector<json> events;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) events.push_back(json::parse(line));
  return events;
}

TimeMs EventTime(const json& event) {
  const std::string field = event["type"] == "test_result" ? "sampled_at" : "ts";
  return ParseRfc3339(event[field].get<std::string>()).value_or(0);
}

TEST(SimulateCommand, StartFlagSetsTheSpan) {
  TempDir dir;
  const auto out = dir.Sub("town.ndjson");
  const auto run = Simulate({"--start", "2026-01-05T10:30:00+07:00", "--days", "2", "-o", out.string()});
  ASSERT_EQ(ExitCode(run), 0) << run.output;
  const TimeMs start = *ParseRfc3339("2026-01-05T03:30:00Z");
  const auto events = ReadEvents(out);
  ASSERT_GT(events.size(), 100u);
  for (const json& event : events) {
    const TimeMs t = EventTime(event);
    ASSERT_GE(t, start) << event.dump();
    ASSERT_LE(t, start + 2 * kDay - kMinute) << event.dump();
  }
}

TEST(SimulateCommand, StartAndEndGiveTheSameTown) {
  TempDir dir;
  const auto by_start = dir.Sub("start.ndjson");
  const auto by_end = dir.Sub("end.ndjson");
  const auto start = Simulate({"--start", "2026-01-05T00:00:00Z", "--days", "3", "-o", by_start.string()});
  ASSERT_EQ(ExitCode(start), 0) << start.output;
  const auto end = Simulate({"--end", "2026-01-08T00:00:00Z", "--days", "3", "-o", by_end.string()});
  ASSERT_EQ(ExitCode(end), 0) << end.output;
  EXPECT_EQ(ReadFile(by_start), ReadFile(by_end));
}

TEST(SimulateCommand, RateFlagsReachTheTown) {
  TempDir dir;
  const auto out = dir.Sub("town.ndjson");
  const auto run = Simulate({"--start", "2026-01-05T00:00:00Z", "--days", "3", "--checkout-rate", "0",
                             "--offset-rate", "0", "--source-rate", "0", "--test-rate", "1",
                             "--healthy-declaration-rate", "0", "--declaration-rate", "0",
                             "--outbreak-seeds", "0", "--errands-per-day", "4", "-o", out.string()});
  ASSERT_EQ(ExitCode(run), 0) << run.output;
  int checkins = 0;
  int tests = 0;
  for (const json& event : ReadEvents(out)) {
    EXPECT_NE(event["type"], "checkout");
    EXPECT_NE(event["type"], "declaration");
    EXPECT_FALSE(event.contains("source"));
    const std::string time = event["type"] == "test_result" ? event["sampled_at"] : event["ts"];
    EXPECT_EQ(time.back(), 'Z') << time;
    if (event["type"] == "checkin") ++checkins;
    if (event["type"] == "test_result") {
      ++tests;
      EXPECT_EQ(event["result"], "negative");
    }
  }
  // A routine test a day for everyone (300 people, 3 days), and many errands.
  EXPECT_GE(tests, 800);
  EXPECT_GE(checkins, 300 * 3 * 3);
}

TEST(SimulateCommand, SameFlagsSameBytes) {
  TempDir dir;
  const std::vector<std::string> flags = {"--seed",           "9", "--start", "2026-01-05T00:00:00Z",
                                          "--days",           "4", "--outbreak-venues", "2",
                                          "--outbreak-seeds", "4", "--zipf-exponent", "1.4",
                                          "--latent-period",  "12h"};
  auto first = flags;
  first.insert(first.end(), {"-o", dir.Sub("a").string()});
  auto second = flags;
  second.insert(second.end(), {"-o", dir.Sub("b").string()});
  ASSERT_EQ(ExitCode(Simulate(first)), 0);
  ASSERT_EQ(ExitCode(Simulate(second)), 0);
  EXPECT_EQ(ReadFile(dir.Sub("a")), ReadFile(dir.Sub("b")));
  EXPECT_FALSE(ReadFile(dir.Sub("a")).empty());
}

TEST(SimulateCommand, BadFlagsAreUsageErrors) {
  const auto both = Simulate({"--start", "2026-01-05T00:00:00Z", "--end", "2026-01-08T00:00:00Z"});
  EXPECT_EQ(ExitCode(both), 2) << both.output;
  const auto bad_start = Simulate({"--start", "yesterday"});
  EXPECT_EQ(ExitCode(bad_start), 2) << bad_start.output;
  EXPECT_NE(bad_start.output.find("--start"), std::string::npos) << bad_start.output;
  const auto bad_rate = Simulate({"--start", "2026-01-05T00:00:00Z", "--late-checkout-rate", "1.5"});
  EXPECT_EQ(ExitCode(bad_rate), 2) << bad_rate.output;
  EXPECT_NE(bad_rate.output.find("late_checkout_rate"), std::string::npos) << bad_rate.output;
  const auto bad_duration = Simulate({"--start", "2026-01-05T00:00:00Z", "--latent-period", "soon"});
  EXPECT_EQ(ExitCode(bad_duration), 2) << bad_duration.output;
  const auto venues = Simulate({"--start", "2026-01-05T00:00:00Z", "--outbreak-venues", "5"});
  EXPECT_EQ(ExitCode(venues), 2) << venues.output;
}

}  // namespace
}  // namespace ctrace::test_support
