// `ctrace serve`: the service: ingest, apply loop, HTTP API, on the embedded log or on Kafka
// (--kafka; docs/kafka.md).
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "api/http_server.h"
#include "api/json_writer.h"
#include "api/router.h"
#include "api/view_json.h"
#include "app/commands.h"
#include "app/settings.h"
#include "ingest/embedded_log.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/kafka_consumer.h"
#include "ingest/kafka_producer.h"
#include "ingest/kafka_topics.h"
#include "model/clock.h"
#include "processors/alert_publisher.h"
#include "processors/apply_loop.h"
#include "processors/erase_pass.h"
#include "processors/query_engine.h"
#include "processors/tracing_engine.h"
#include "stores/state_store.h"

namespace ctrace {

namespace {

struct ServeFlags {
  std::string data = "./ctrace-data";
  std::string listen = "127.0.0.1:8080";
  std::string clock = "system";
  ParamFlags params;
  int http_threads = 4;
  std::string max_body = "67108864";
  std::string compression = "true";
  std::string shutdown_grace = "10s";
  std::string erase_interval = "1h";
  std::string kafka;
  std::string topic_prefix = "ctrace";
  std::string group = "ctrace";
};

bool SplitHostPort(const std::string& listen, std::string* host, uint16_t* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  try {
    const int value = std::stoi(listen.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    *port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

bool ParseBool(const std::string& text, bool* value) {
  if (text == "true" || text == "1" || text == "on" || text == "yes") {
    *value = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "off" || text == "no") {
    *value = false;
    return true;
  }
  return false;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ctrace: error: %s\n", message.c_str());
  return kExitUsage;
}

int RunServe(const ServeFlags& flags) {
  TracingParams params;
  std::string error;
  if (!ResolveParams(flags.params, &params, &error)) return UsageError(error);
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(flags.listen, &host, &port)) {
    return UsageError("--listen: '" + flags.listen + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  auto clock = MakeClock(flags.clock, &error);
  if (!clock) return UsageError("--clock: " + error);
  bool compression = true;
  if (!ParseBool(flags.compression, &compression)) return UsageError("--compression: must be true or false");
  size_t max_body = 0;
  try {
    max_body = std::stoull(flags.max_body);
  } catch (const std::exception&) {
    return UsageError("--max-body: '" + flags.max_body + "' is not a number of bytes");
  }
  if (flags.http_threads < 1 || flags.http_threads > 256) return UsageError("--http-threads: must be between 1 and 256");
  const auto grace = ParseDuration(flags.shutdown_grace);
  if (!grace) return UsageError("--shutdown-grace: '" + flags.shutdown_grace + "' is not a duration");
  const auto erase_interval = flags.erase_interval == "0" ? std::optional<DurationMs>(0) : ParseDuration(flags.erase_interval);
  if (!erase_interval) return UsageError("--erase-interval: '" + flags.erase_interval + "' is not a duration (0 turns hourly passes off)");

  // Signals are taken by sigwait below, so every thread started from here on blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::error_code fs_error;
  std::filesystem::create_directories(flags.data, fs_error);
  if (fs_error) {
    spdlog::error("component=serve error=\"cannot create the data directory: {}\"", fs_error.message());
    return kExitFailure;
  }
  KafkaOptions kafka_options;
  kafka_options.brokers = flags.kafka;
  kafka_options.topic_prefix = flags.topic_prefix;
  kafka_options.group = flags.group;
  std::unique_ptr<EmbeddedLog> log;
  if (flags.kafka.empty()) {
    LogOptions log_options;
    log_options.compression = compression;
    log = EmbeddedLog::Open(flags.data + "/log", log_options, &error);
    if (!log) {
      spdlog::error("component=log error=\"{}\"", error);
      return kExitFailure;
    }
  } else {
    std::vector<std::string> problems;
    if (!CheckTopics(kafka_options, &problems, &error)) {
      std::fprintf(stderr, "ctrace: error: %s\n", error.c_str());
      return kExitFailure;
    }
    for (const auto& problem : problems) std::fprintf(stderr, "ctrace: error: %s\n", problem.c_str());
    if (!problems.empty()) return kExitFailure;
  }
  StoreOptions store_options;
  store_options.compression = compression;
  auto store = StateStore::Open(flags.data + "/state", store_options, &error);
  if (!store) {
    spdlog::error("component=store error=\"{}\"", error);
    return kExitFailure;
  }
  // Kafka mode: the sink is declared before the source, which sends its dead letters through
  // it, so that the source goes first.
  std::unique_ptr<KafkaSink> kafka_sink;
  std::unique_ptr<KafkaSource> kafka_source;
  std::unique_ptr<KafkaTopicWriter> alert_writer;
  EventSource* source = log.get();
  EventSink* sink = log.get();
  if (log) {
    spdlog::info("component=log kind=embedded end={} compression={}", log->NextPosition(), compression);
  } else {
    StateStore* state = store.get();
    kafka_sink = KafkaSink::Open(kafka_options, {}, [state](std::string_view id) { return state->Snapshot()->HasEventId(id); },
                                 &error);
    KafkaConsumerOptions consumer_options;
    consumer_options.event_clock = flags.clock == "event";
    if (kafka_sink) {
      kafka_source = KafkaSource::Open(kafka_options, consumer_options, params, clock.get(), kafka_sink.get(), &error);
    }
    if (kafka_source) {
      // Alerts are few and wanted at once: no linger (a round's alerts are batched anyway).
      KafkaProducerOptions alert_producer_options;
      alert_producer_options.linger_ms = 0;
      alert_writer = KafkaTopicWriter::Open(kafka_options, alert_producer_options,
                                            TopicNames(kafka_options.topic_prefix).alerts, &error);
    }
    if (!kafka_sink || !kafka_source || !alert_writer) {
      spdlog::error("component=log kind=kafka error=\"{}\"", error);
      return kExitFailure;
    }
    source = kafka_source.get();
    sink = kafka_sink.get();
    spdlog::info("component=log kind=kafka brokers={} topic_prefix={} group={} partitions={}", flags.kafka,
                 flags.topic_prefix, flags.group, kafka_source->partitions());
  }
  spdlog::info("component=store applied_events={}", Lag(store->Applied(), {}));

  TracingEngine engine(store.get(), params);
  // What is no longer live must not show in any answer, from the first one on.
  for (bool more = true; more;) {
    ApplyCounts counts;
    if (!engine.Expire(clock->Now(), store->Applied(), 10'000, &counts, &more, &error)) {
      spdlog::error("component=store error=\"{}\"", error);
      return kExitFailure;
    }
    if (counts.expired > 0) spdlog::info("component=apply expired_events={}", counts.expired);
  }
  ErasePass eraser(flags.data, log.get(), store.get(), &engine);
  AppliedPositions applied;
  ApplyLoopOptions loop_options;
  loop_options.erase_interval = std::chrono::milliseconds(*erase_interval);
  AlertFeed alert_feed;
  ApplyLoop apply_loop(source, store.get(), &engine, clock.get(), &applied, &eraser, &alert_feed, loop_options);
  // Kafka mode: every committed alert also goes to the alerts topic, from its own thread.
  std::unique_ptr<AlertPublisher> alert_publisher;
  if (alert_writer) {
    alert_publisher = std::make_unique<AlertPublisher>(store.get(), &alert_feed, alert_writer.get(),
                                                       [](const AlertView& alert) {
                                                         std::string text;
                                                         JsonWriter json(&text);
                                                         WriteAlert(alert, json);
                                                         return text;
                                                       });
  }
  IngestOptions ingest_options;
  ingest_options.event_clock = flags.clock == "event";
  IngestPipeline ingest(sink, clock.get(), params, &applied, ingest_options);
  StatsSources sources;
  sources.log_end = [&] { return Lag(source->End(), {}); };
  sources.applied = [&] { return Lag(applied.Get(), {}); };
  if (log) {
    sources.ingest_counters = [&] { return log->Counters(); };
  } else {
    // What this process wrote, and what the state holds ("applied.<type>", durable).
    sources.ingest_counters = [&] {
      auto counters = kafka_sink->Counters();
      auto view = store->Snapshot();
      for (const EventType type :
           {EventType::kCheckin, EventType::kCheckout, EventType::kTestResult, EventType::kDeclaration}) {
        const std::string name = "applied." + std::string(EventTypeName(type));
        counters[name] = view->GetCounter(name);
      }
      return counters;
    };
  }
  sources.oldest_event_time = [&]() -> std::optional<TimeMs> {
    std::optional<TimeMs> oldest = store->OldestEventTime();
    if (log) {
      const std::optional<TimeMs> in_log = log->OldestEventTime();
      if (in_log && (!oldest || *in_log < *oldest)) oldest = in_log;
    }
    return oldest;
  };
  sources.last_erase = [&]() -> std::optional<EraseStats> {
    const std::optional<EraseReport> report = apply_loop.LastErase();
    if (!report) return std::nullopt;
    return EraseStats{report->finished_at, report->duration, report->erased_events, report->bytes_reclaimed()};
  };
  sources.alerts_next_seq = [&] { return alert_feed.next_seq(); };
  QueryEngine queries(store.get(), params, clock.get(), sources);

  RouterOptions router_options;
  router_options.ready = [&] { return apply_loop.healthy() && source->Reachable(); };
  if (alert_publisher) {
    router_options.extra_metrics = [&](std::string* out) { alert_publisher->AppendPrometheus(out); };
  }
  router_options.erase = [&](std::chrono::milliseconds timeout, std::string* erase_error) -> std::optional<EraseResult> {
    std::future<EraseOutcome> pass = apply_loop.RequestErase();
    if (pass.wait_for(timeout) != std::future_status::ready) {
      *erase_error = "it is still running; its figures will be logged";
      return std::nullopt;
    }
    const EraseOutcome outcome = pass.get();
    if (!outcome.ok) {
      *erase_error = outcome.error;
      return std::nullopt;
    }
    const EraseReport& report = outcome.report;
    return EraseResult{report.erased_events, report.erased_log_events, report.erased_alerts, report.bytes_reclaimed(),
                       report.duration};
  };
  Router router(queries, ingest, router_options);
  HttpServerOptions server_options;
  server_options.io_threads = flags.http_threads;
  server_options.body_limit = max_body;
  HttpServer server(server_options, router, &alert_feed);

  apply_loop.Start();
  if (alert_publisher) {
    alert_publisher->Start();
    spdlog::info("component=alert_publisher topic={}", TopicNames(kafka_options.topic_prefix).alerts);
  }
  spdlog::info("component=apply clock={} retention={} min_overlap={} max_depth={}", flags.clock,
               FormatDuration(params.retention), FormatDuration(params.min_overlap), params.max_depth);
  if (!server.Start(host, port, &error)) {
    spdlog::error("component=http error=\"{}\"", error);
    apply_loop.Stop();
    if (alert_publisher) alert_publisher->Stop(std::chrono::milliseconds(0));
    return kExitFailure;
  }
  spdlog::info("component=http listen={}:{} threads={} body_limit={}", host, server.port(), flags.http_threads,
               max_body);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("component=serve stopping signal={}", signal_number);
  server.Stop(std::chrono::milliseconds(*grace));
  apply_loop.Stop();
  // What the apply loop committed goes to the alerts topic first, for up to the grace period.
  if (alert_publisher) alert_publisher->Stop(std::chrono::milliseconds(*grace));
  store->Flush();
  spdlog::info("component=serve stopped applied={} log_end={}", Lag(applied.Get(), {}), Lag(source->End(), {}));
  return kExitOk;
}

}  // namespace

CommandRunner AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "run the service: ingest, processors, HTTP API");
  AddOption(sub, "--data", &flags->data, "the data directory");
  AddOption(sub, "--listen", &flags->listen, "HOST:PORT of the HTTP API (port 0 picks one)");
  AddClockOption(sub, &flags->clock);
  AddParamOptions(sub, &flags->params);
  AddOption(sub, "--http-threads", &flags->http_threads, "threads serving HTTP requests");
  AddOption(sub, "--max-body", &flags->max_body, "largest request body in bytes");
  AddOption(sub, "--compression", &flags->compression, "compress stored files (true|false)");
  AddOption(sub, "--shutdown-grace", &flags->shutdown_grace, "how long in-flight requests may finish on stop");
  AddOption(sub, "--erase-interval", &flags->erase_interval, "how often an erase pass runs (0: only on request)");
  AddOption(sub, "--kafka", &flags->kafka, "Kafka brokers host:port,... (absent: the embedded log)");
  AddOption(sub, "--topic-prefix", &flags->topic_prefix, "Kafka topics are PREFIX.checkins, PREFIX.tests, ...");
  AddOption(sub, "--group", &flags->group, "Kafka consumer group id (positions live in the state store)");
  return [flags] { return RunServe(*flags); };
}

}  // namespace ctrace
