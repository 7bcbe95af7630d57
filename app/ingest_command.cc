// `ctrace ingest FILE...`: NDJSON files (or `-` for stdin) into the embedded log of a data
// directory, or into Kafka (--kafka), with a summary of what was accepted, duplicated and
// rejected. In Kafka mode "duplicates" are ids sent earlier by this run (docs/kafka.md).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "app/commands.h"
#include "app/settings.h"
#include "ingest/embedded_log.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/kafka_producer.h"
#include "ingest/kafka_topics.h"

namespace ctrace {

namespace {

struct IngestFlags {
  std::vector<std::string> files;
  std::string data = "./ctrace-data";
  std::string clock = "system";
  ParamFlags params;
  int batch_lines = 10'000;
  std::string compression = "true";
  std::string kafka;
  std::string topic_prefix = "ctrace";
  std::string overload_wait = "10m";
};

struct Summary {
  uint64_t lines = 0;
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  std::map<std::string, uint64_t> rejected;
};

void PrintProgress(const Summary& summary, uint64_t bytes, std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "\r[%-30s] %llu events  %.1f MB  %.0f events/s", std::string(static_cast<size_t>(seconds * 4) % 31, '#').c_str(),
               static_cast<unsigned long long>(summary.lines), static_cast<double>(bytes) / 1e6,
               seconds > 0 ? static_cast<double>(summary.lines) / seconds : 0.0);
}

int RunIngest(const IngestFlags& flags) {
  TracingParams params;
  std::string error;
  if (!ResolveParams(flags.params, &params, &error)) {
    std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
    return kExitUsage;
  }
  auto clock = MakeClock(flags.clock, &error);
  if (!clock) {
    std::fprintf(stderr, "ctrace: error: --clock: %s\n", error.c_str());
    return kExitUsage;
  }
  if (flags.batch_lines < 1) {
    std::fprintf(stderr, "ctrace: error: --batch-lines: must be at least 1\n");
    return kExitUsage;
  }
  const auto overload_wait = ParseDuration(flags.overload_wait);
  if (!overload_wait) {
    std::fprintf(stderr, "ctrace: error: --overload-wait: '%s' is not a duration\n", flags.overload_wait.c_str());
    return kExitUsage;
  }
  std::unique_ptr<EmbeddedLog> log;
  std::unique_ptr<KafkaSink> kafka_sink;
  EventSink* sink = nullptr;
  if (flags.kafka.empty()) {
    std::error_code fs_error;
    std::filesystem::create_directories(flags.data, fs_error);
    LogOptions log_options;
    log_options.compression = flags.compression != "false";
    log = EmbeddedLog::Open(flags.data + "/log", log_options, &error);
    if (!log) {
      spdlog::error("component=ingest error=\"{}\" hint=\"is a ctrace serve running on this data directory? "
                    "send events to its POST /v1/events instead\"",
                    error);
      return kExitFailure;
    }
    sink = log.get();
  } else {
    KafkaOptions kafka_options;
    kafka_options.brokers = flags.kafka;
    kafka_options.topic_prefix = flags.topic_prefix;
    std::vector<std::string> problems;
    if (!CheckTopics(kafka_options, &problems, &error)) {
      std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
      return kExitFailure;
    }
    for (const auto& problem : problems) std::fprintf(stderr, "ctrace: error: %s\n", problem.c_str());
    if (!problems.empty()) return kExitFailure;
    // No state store here: duplicates are the ids this run sent; the service drops the rest.
    kafka_sink = KafkaSink::Open(kafka_options, {}, nullptr, &error);
    if (!kafka_sink) {
      spdlog::error("component=ingest error=\"{}\"", error);
      return kExitFailure;
    }
    sink = kafka_sink.get();
  }
  AppliedPositions applied;  // nothing applies here: the service applies the log
  IngestOptions options;
  options.max_unapplied = UINT64_MAX;
  options.event_clock = flags.clock == "event";
  IngestPipeline pipeline(sink, clock.get(), params, &applied, options);

  const bool progress = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  Summary summary;
  uint64_t bytes = 0;
  for (const auto& file : flags.files) {
    std::ifstream stream;
    std::istream* in = &std::cin;
    if (file != "-") {
      stream.open(file, std::ios::binary);
      if (!stream) {
        spdlog::error("component=ingest error=\"cannot open {}\"", file);
        return kExitFailure;
      }
      in = &stream;
    }
    std::string body;
    std::string line;
    uint64_t first_line = 1;
    int lines_in_body = 0;
    auto flush = [&]() -> bool {
      if (lines_in_body == 0) return true;
      auto result = pipeline.Ingest(body, BodyFormat::kNdjson);
      // Back-pressure (a full Kafka queue): wait and send the same lines again; what was
      // written before the queue filled up comes back as duplicates of this run.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(*overload_wait);
      while (result.status == IngestStatus::kOverloaded && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        result = pipeline.Ingest(body, BodyFormat::kNdjson);
      }
      if (result.status != IngestStatus::kOk) {
        spdlog::error("component=ingest file={} error=\"{}\"", file, result.message);
        return false;
      }
      summary.accepted += result.accepted;
      summary.duplicates += result.duplicates;
      for (const auto& rejection : result.rejected) {
        ++summary.rejected[rejection.reason];
        (void)first_line;
      }
      first_line += static_cast<uint64_t>(lines_in_body);
      body.clear();
      lines_in_body = 0;
      if (progress) PrintProgress(summary, bytes, started);
      return true;
    };
    while (std::getline(*in, line)) {
      bytes += line.size() + 1;
      body.append(line);
      body.push_back('\n');
      ++summary.lines;
      if (++lines_in_body == flags.batch_lines && !flush()) return kExitFailure;
    }
    if (!flush()) return kExitFailure;
  }
  if (progress) std::fputc('\n', stderr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  uint64_t rejected = 0;
  for (const auto& [reason, count] : summary.rejected) rejected += count;
  std::printf("events: %llu  accepted: %llu  duplicates: %llu  rejected: %llu  (%.1f s, %.0f events/s)\n",
              static_cast<unsigned long long>(summary.lines), static_cast<unsigned long long>(summary.accepted),
              static_cast<unsigned long long>(summary.duplicates), static_cast<unsigned long long>(rejected), seconds,
              seconds > 0 ? static_cast<double>(summary.lines) / seconds : 0.0);
  for (const auto& [reason, count] : summary.rejected) {
    std::printf("  rejected %-28s %llu\n", reason.c_str(), static_cast<unsigned long long>(count));
  }
  return kExitOk;
}

}  // namespace

CommandRunner AddIngestCommand(CLI::App& app) {
  auto flags = std::make_shared<IngestFlags>();
  auto* sub = app.add_subcommand("ingest", "send NDJSON files (- for stdin) into the event log");
  sub->add_option("files", flags->files, "NDJSON files, - for stdin")->required();
  AddOption(sub, "--data", &flags->data, "the data directory (of a stopped service)");
  AddClockOption(sub, &flags->clock);
  AddParamOptions(sub, &flags->params);
  AddOption(sub, "--batch-lines", &flags->batch_lines, "events per durable append");
  AddOption(sub, "--compression", &flags->compression, "compress stored files (true|false)");
  AddOption(sub, "--kafka", &flags->kafka, "Kafka brokers host:port,... (absent: the embedded log of --data)");
  AddOption(sub, "--topic-prefix", &flags->topic_prefix, "Kafka topics are PREFIX.checkins, PREFIX.tests, ...");
  AddOption(sub, "--overload-wait", &flags->overload_wait, "how long to keep retrying while Kafka's queue is full");
  return [flags] { return RunIngest(*flags); };
}

}  // namespace ctrace
