// `ctrace replay`: rebuilds the derived state from the log (embedded or Kafka) into a scratch
// store with the same engine, parameters and clock as `serve`, reports what became of the
// events and, with --verify, lists every difference from the live state (operations.md
// "Replay and audit").
//
// Nothing is written to the data directory: the log and the live state are opened read-only,
// the scratch store lives in a temporary directory that is removed at the end.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/http_fetch.h"
#include "app/api_state_reader.h"
#include "app/commands.h"
#include "app/progress_meter.h"
#include "app/settings.h"
#include "ingest/embedded_log.h"
#include "ingest/kafka_consumer.h"
#include "ingest/kafka_offsets.h"
#include "ingest/kafka_topics.h"
#include "model/clock.h"
#include "processors/replay.h"
#include "processors/state_diff.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

namespace {

using nlohmann::json;

struct ReplayFlags {
  std::string data = "./ctrace-data";
  std::string clock = "system";
  ParamFlags params;
  std::string from;
  std::string to;
  std::string topics = "checkins,tests,declarations";
  bool verify = false;
  std::string verify_url;
  std::string token;
  std::string report;
  std::string scratch;
  std::string kafka;
  std::string topic_prefix = "ctrace";
  std::string group = "ctrace-replay";
  std::string progress = "auto";
};

// The event topics by their short names (the suffix after the prefix), in topic-index order.
constexpr const char* kTopicShortNames[] = {"checkins", "tests", "declarations"};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ctrace: error: %s\n", message.c_str());
  return kExitUsage;
}

int Failure(const std::string& message) {
  spdlog::error("component=replay error=\"{}\"", message);
  return kExitFailure;
}

// Whether another process holds the RocksDB lock of `dir` (a running service).
bool LockedByOtherProcess(const std::string& dir) {
  const int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

// A temporary directory removed, with everything in it, on destruction.
class ScratchDir {
 public:
  bool Create(const std::string& parent, std::string* error) {
    std::string base = parent;
    if (base.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string pattern = base + "/ctrace-replay-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      *error = "cannot create a scratch directory under " + base + ": " + std::strerror(errno);
      return false;
    }
    path_ = pattern;
    return true;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An EventSink that drops what it is given: a replay of Kafka sends nothing to the live
// dead-letter topic (the messages were dead-lettered when the service read them).
class DiscardSink final : public EventSink {
 public:
  SinkResult Write(const SinkBatch&) override { return {}; }
  LogPositions WrittenEnd() override { return {}; }
  bool TicketPositions(uint64_t, LogPositions*) override { return false; }
};

json PositionsJson(const LogPositions& positions) {
  json out = json::object();
  for (const auto& [partition, offset] : positions) out[std::to_string(partition)] = offset;
  return out;
}

json ParamsJson(const TracingParams& params) {
  return {{"retention", FormatDuration(params.retention)},
          {"min_overlap", FormatDuration(params.min_overlap)},
          {"default_stay", FormatDuration(params.default_stay)},
          {"max_stay", FormatDuration(params.max_stay)},
          {"infectious_lead", FormatDuration(params.infectious_lead)},
          {"isolation_lag", FormatDuration(params.isolation_lag)},
          {"onset_lookback", FormatDuration(params.onset_lookback)},
          {"onward_window", FormatDuration(params.onward_window)},
          {"max_depth", params.max_depth},
          {"hotspot_cases", params.hotspot_cases},
          {"hotspot_window", FormatDuration(params.hotspot_window)},
          {"max_clock_skew", FormatDuration(params.max_clock_skew)}};
}

json SummaryJson(const ReplaySummary& summary) {
  json by_type = json::object();
  for (const auto& [type, counts] : summary.by_type) {
    by_type[type] = {{"read", counts.read},       {"outside_range", counts.outside_range},
                     {"excluded", counts.excluded}, {"applied", counts.applied},
                     {"duplicate", counts.duplicate}, {"too_old", counts.too_old}};
  }
  return {{"records", summary.records},
          {"rejected", summary.rejected},
          {"expired_later", summary.expired},
          {"by_type", by_type},
          {"start", PositionsJson(summary.start)},
          {"end", PositionsJson(summary.end)}};
}

json DifferenceJson(const StateDifference& difference) {
  return {{"what", difference.what},
          {"key", difference.key},
          {"expected", difference.expected ? json(*difference.expected) : json(nullptr)},
          {"found", difference.found ? json(*difference.found) : json(nullptr)}};
}

std::string Show(const std::optional<std::string>& value) { return value ? *value : "(absent)"; }

void PrintSummary(const ReplaySummary& summary) {
  std::printf("%-12s %10s %10s %10s %10s %10s %10s\n", "type", "read", "applied", "duplicate", "too_old",
              "outside", "excluded");
  ReplayTypeCounts total;
  for (const auto& [type, counts] : summary.by_type) {
    std::printf("%-12s %10llu %10llu %10llu %10llu %10llu %10llu\n", type.c_str(),
                static_cast<unsigned long long>(counts.read), static_cast<unsigned long long>(counts.applied),
                static_cast<unsigned long long>(counts.duplicate), static_cast<unsigned long long>(counts.too_old),
                static_cast<unsigned long long>(counts.outside_range),
                static_cast<unsigned long long>(counts.excluded));
    total.read += counts.read;
    total.applied += counts.applied;
    total.duplicate += counts.duplicate;
    total.too_old += counts.too_old;
    total.outside_range += counts.outside_range;
    total.excluded += counts.excluded;
  }
  std::printf("%-12s %10llu %10llu %10llu %10llu %10llu %10llu\n", "total",
              static_cast<unsigned long long>(total.read), static_cast<unsigned long long>(total.applied),
              static_cast<unsigned long long>(total.duplicate), static_cast<unsigned long long>(total.too_old),
              static_cast<unsigned long long>(total.outside_range), static_cast<unsigned long long>(total.excluded));
  std::printf("records %llu, rejected %llu, expired later %llu\n", static_cast<unsigned long long>(summary.records),
              static_cast<unsigned long long>(summary.rejected), static_cast<unsigned long long>(summary.expired));
}

bool ParseTime(const std::string& flag, const std::string& text, std::optional<TimeMs>* time, std::string* error) {
  if (text.empty()) return true;
  *time = ParseRfc3339(text);
  if (!*time) {
    *error = flag + ": '" + text + "' is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)";
    return false;
  }
  return true;
}

// Splits --topics into topic indexes. Returns false on an unknown name.
bool ParseTopics(const std::string& text, std::set<int>* topic_idxs, std::string* error) {
  std::stringstream stream(text);
  std::string name;
  while (std::getline(stream, name, ',')) {
    if (name.empty()) continue;
    bool known = false;
    for (int topic_idx = 0; topic_idx < 3; ++topic_idx) {
      if (name == kTopicShortNames[topic_idx]) {
        topic_idxs->insert(topic_idx);
        known = true;
      }
    }
    if (!known) {
      *error = "--topics: unknown topic '" + name + "' (allowed: checkins, tests, declarations)";
      return false;
    }
  }
  if (topic_idxs->empty()) {
    *error = "--topics: name at least one of checkins, tests, declarations";
    return false;
  }
  return true;
}

int RunReplay(const ReplayFlags& flags) {
  // Usage first: nothing is opened before every flag is known to be good.
  TracingParams params;
  std::string error;
  if (!ResolveParams(flags.params, &params, &error)) return UsageError(error);
  auto clock = MakeClock(flags.clock, &error);
  if (!clock) return UsageError("--clock: " + error);
  ReplayOptions options;
  if (!ParseTime("--from", flags.from, &options.from, &error)) return UsageError(error);
  if (!ParseTime("--to", flags.to, &options.to, &error)) return UsageError(error);
  if (options.from && options.to && *options.from >= *options.to) return UsageError("--from must be before --to");
  std::set<int> topic_idxs;
  if (!ParseTopics(flags.topics, &topic_idxs, &error)) return UsageError(error);
  if (topic_idxs.size() < 3) {
    for (const EventType type : {EventType::kCheckin, EventType::kCheckout, EventType::kTestResult,
                                 EventType::kDeclaration}) {
      if (topic_idxs.count(EventTopicIndex(type)) != 0) options.types.insert(type);
    }
  }
  std::optional<HttpAddress> verify_address;
  if (!flags.verify_url.empty()) {
    verify_address = ParseHttpUrl(flags.verify_url);
    if (!verify_address) return UsageError("--verify-url: '" + flags.verify_url + "' is not http://HOST:PORT");
  }
  if (flags.progress != "auto" && flags.progress != "bar" && flags.progress != "lines" && flags.progress != "off") {
    return UsageError("--progress: must be auto, bar, lines or off");
  }
  const bool kafka = !flags.kafka.empty();
  const bool verify_dir = flags.verify && !verify_address;
  const std::string log_dir = flags.data + "/log";
  const std::string state_dir = flags.data + "/state";
  if (!kafka && !std::filesystem::exists(log_dir)) {
    return UsageError("--data: " + flags.data + " holds no event log (" + log_dir + ")");
  }
  if (verify_dir && !std::filesystem::exists(state_dir)) {
    return UsageError("--verify: " + flags.data + " holds no state store (" + state_dir + ")");
  }
  if (verify_dir && LockedByOtherProcess(state_dir)) {
    return UsageError("--verify: " + flags.data +
                      " is in use by a running service: verify it through its API with --verify-url "
                      "http://HOST:PORT, or stop it first");
  }

  // The live state, read-only, and how far it has applied the log: the replay stops there.
  std::unique_ptr<StateStore> live;
  if (verify_dir) {
    StoreOptions live_options;
    live_options.read_only = true;
    live = StateStore::Open(state_dir, live_options, &error);
    if (!live) return Failure(error);
  }
  HttpFetchOptions fetch_options;
  fetch_options.bearer_token = flags.token;
  std::optional<uint64_t> service_applied;
  if (verify_address) {
    const HttpFetchResult stats = HttpGet(verify_address->host, verify_address->port, "/v1/stats", fetch_options);
    const json body = stats.status == 200 ? json::parse(stats.body, nullptr, false) : json();
    if (!body.is_object() || !body.contains("applied") || !body["applied"].is_number_unsigned()) {
      return Failure("--verify-url: GET /v1/stats failed: " +
                     (stats.status == 0 ? stats.error : "HTTP " + std::to_string(stats.status)));
    }
    service_applied = body["applied"].get<uint64_t>();
  }

  // The source, and where the replay starts and ends.
  std::unique_ptr<EmbeddedLog> log;
  std::unique_ptr<KafkaSource> kafka_source;
  DiscardSink discard;
  EventSource* source = nullptr;
  LogPositions start;
  if (!kafka) {
    LogOptions log_options;
    log_options.read_only = true;
    log = EmbeddedLog::Open(log_dir, log_options, &error);
    if (!log) return Failure(error);
    source = log.get();
    start = {{0, 0}};
    options.end = log->End();
  } else {
    KafkaOptions kafka_options;
    kafka_options.brokers = flags.kafka;
    kafka_options.topic_prefix = flags.topic_prefix;
    kafka_options.group = flags.group;
    // Message timestamps are produce times: an event of time T is produced after T - skew.
    std::optional<TimeMs> since;
    if (options.from) since = *options.from - params.max_clock_skew;
    KafkaReplayRange range;
    if (!KafkaReplayPositions(kafka_options, since, &range, &error)) return Failure("kafka: " + error);
    start = range.start;
    options.end = range.end;
    for (auto& [key, offset] : start) {
      // Topics not selected are not read at all: they start at their end.
      if (topic_idxs.count(key / kPartitionsPerTopicIndex) == 0) offset = options.end[key];
    }
    KafkaConsumerOptions consumer_options;
    consumer_options.event_clock = flags.clock == "event";
    kafka_source = KafkaSource::Open(kafka_options, consumer_options, params, clock.get(), &discard, &error);
    if (!kafka_source) return Failure("kafka: " + error);
    source = kafka_source.get();
  }
  if (live) {
    // The live state follows from the log up to its applied positions, not further.
    const LogPositions applied = live->Applied();
    for (auto& [partition, end] : options.end) {
      const auto it = applied.find(partition);
      const int64_t applied_to = it == applied.end() ? 0 : it->second;
      if (applied_to < end) {
        spdlog::warn("component=replay partition={} log_end={} applied={} note=\"the live state has not applied "
                     "the end of the log; replaying up to what it applied\"",
                     partition, end, applied_to);
        end = applied_to;
      }
    }
  } else if (service_applied && !kafka && static_cast<uint64_t>(options.end[0]) > *service_applied) {
    spdlog::warn("component=replay log_end={} applied={} note=\"the service has not applied the end of the log; "
                 "replaying up to what it applied\"",
                 options.end[0], *service_applied);
    options.end[0] = static_cast<int64_t>(*service_applied);
  }
  for (auto& [partition, offset] : start) offset = std::min(offset, options.end[partition]);

  ScratchDir scratch;
  if (!scratch.Create(flags.scratch, &error)) return Failure(error);
  StoreOptions scratch_options;
  scratch_options.compression = false;
  scratch_options.write_buffer_size = 64 << 20;
  auto store = StateStore::Open(scratch.path() + "/state", scratch_options, &error);
  if (!store) return Failure(error);
  TracingEngine engine(store.get(), params);

  ProgressMeterOptions meter_options;
  meter_options.component = "replay";
  meter_options.terminal = flags.progress == "bar" || (flags.progress == "auto" && StderrIsTerminal());
  ProgressMeter meter("events", meter_options);
  spdlog::info("component=replay source={} positions={} clock={} from={} to={} topics={}",
               kafka ? "kafka" : "embedded", Lag(options.end, start), flags.clock,
               options.from ? FormatUtc(*options.from) : "-", options.to ? FormatUtc(*options.to) : "-", flags.topics);
  Replayer replayer(source, &engine, store.get(), clock.get(), options);
  ReplaySummary summary;
  ReplayProgress last;
  auto on_progress = [&](const ReplayProgress& progress) {
    last = progress;
    if (flags.progress != "off") meter.Update(progress.position, progress.total, progress.records);
  };
  if (!replayer.Run(start, on_progress, &summary, &error)) return Failure(error);
  if (flags.progress != "off") meter.Finish(last.position, last.total, summary.records);
  const double seconds = meter.Elapsed();
  PrintSummary(summary);
  spdlog::info("component=replay records={} applied={} duration_s={:.2f} events_per_s={:.0f}", summary.records,
               last.applied, seconds, seconds > 0 ? static_cast<double>(summary.records) / seconds : 0.0);

  json report = {{"source", kafka ? "kafka" : "embedded"},
                 {"clock", flags.clock},
                 {"now", FormatUtc(clock->Now())},
                 {"params", ParamsJson(params)},
                 {"from", options.from ? json(FormatUtc(*options.from)) : json(nullptr)},
                 {"to", options.to ? json(FormatUtc(*options.to)) : json(nullptr)},
                 {"topics", json::array()},
                 {"summary", SummaryJson(summary)},
                 {"verify", nullptr}};
  for (const int topic_idx : topic_idxs) report["topics"].push_back(kTopicShortNames[topic_idx]);

  int exit_code = kExitOk;
  if (flags.verify || verify_address) {
    const auto rebuilt_view = store->Snapshot();
    const DerivedState expected = ReadDerivedState(*rebuilt_view, params.max_depth);
    DerivedState found;
    if (live) {
      const auto live_view = live->Snapshot();
      found = ReadDerivedState(*live_view, params.max_depth);
    } else if (!ReadDerivedStateFromApi(*verify_address, fetch_options, params.max_depth, &found, &error)) {
      return Failure("--verify-url: " + error);
    }
    const auto differences = DiffDerivedStates(expected, found);
    json listed = json::array();
    for (const auto& difference : differences) {
      std::printf("difference: %s %s expected=%s found=%s\n", difference.what.c_str(), difference.key.c_str(),
                  Show(difference.expected).c_str(), Show(difference.found).c_str());
      listed.push_back(DifferenceJson(difference));
    }
    std::printf("verify: %zu exposed, %zu cases, %zu links, %zu clusters rebuilt; %zu differences\n",
                expected.exposures.size(), expected.cases.size(), expected.links.size(), expected.clusters.size(),
                differences.size());
    report["verify"] = {{"against", live ? "data directory" : "service"},
                        {"rebuilt",
                         {{"exposed", expected.exposures.size()},
                          {"cases", expected.cases.size()},
                          {"links", expected.links.size()},
                          {"clusters", expected.clusters.size()}}},
                        {"differences", listed}};
    if (!differences.empty()) exit_code = kExitFailure;
  }

  if (!flags.report.empty()) {
    std::ofstream out(flags.report, std::ios::binary | std::ios::trunc);
    out << report.dump(2) << '\n';
    out.close();
    if (!out) return Failure("--report: cannot write " + flags.report);
  }
  return exit_code;
}

}  // namespace

CommandRunner AddReplayCommand(CLI::App& app) {
  auto flags = std::make_shared<ReplayFlags>();
  auto* sub = app.add_subcommand("replay", "rebuild the state from the log into a scratch store, verify and report");
  AddOption(sub, "--data", &flags->data, "the data directory (its log is read, nothing is written)");
  AddClockOption(sub, &flags->clock);
  AddParamOptions(sub, &flags->params);
  AddOption(sub, "--from", &flags->from, "replay events whose time is at or after TIME (RFC 3339)");
  AddOption(sub, "--to", &flags->to, "replay events whose time is before TIME (RFC 3339)");
  AddOption(sub, "--topics", &flags->topics, "the event topics replayed: checkins,tests,declarations");
  sub->add_flag("--verify", flags->verify, "compare the rebuilt state with the live one (exit 1 on differences)")
      ->envname("CTRACE_VERIFY");
  AddOption(sub, "--verify-url", &flags->verify_url, "verify against a running service's API (http://HOST:PORT)");
  AddOption(sub, "--token", &flags->token, "bearer token for --verify-url");
  AddOption(sub, "--report", &flags->report, "write the summary and differences as JSON to FILE");
  AddOption(sub, "--scratch", &flags->scratch, "where the scratch store goes (default: $TMPDIR or /tmp)");
  AddOption(sub, "--progress", &flags->progress, "auto | bar | lines | off");
  AddOption(sub, "--kafka", &flags->kafka, "Kafka brokers host:port,... (absent: the embedded log of --data)");
  AddOption(sub, "--topic-prefix", &flags->topic_prefix, "Kafka topics are PREFIX.checkins, PREFIX.tests, ...");
  AddOption(sub, "--group", &flags->group, "Kafka consumer group id (nothing is committed)");
  return [flags] { return RunReplay(*flags); };
}

}  // namespace ctrace
