#include "tests/support/kafka_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/support/rfc3339.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"

namespace ctrace::test_support {

using nlohmann::json;

std::string KafkaBrokers() {
  const char* brokers = std::getenv("CTRACE_KAFKA_BROKERS");
  return brokers != nullptr ? brokers : "";
}

std::string UniqueTopicPrefix(const std::string& name) {
  static std::atomic<int> counter{0};
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return "t-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(micros % 1000000000);
}

bool CommandResult::exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

CommandResult RunCommand(const std::vector<std::string>& args, const std::string& stdin_path,
                         std::chrono::milliseconds timeout) {
  CommandResult result;
  TempDir dir("ctrace-cmd-");
  const std::string out_path = dir.Sub("out").string();
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) {
    result.output = "fork failed";
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const pid_t done = waitpid(pid, &result.status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &result.status, 0);
      result.output = "(timed out) ";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream in(out_path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  result.output += text.str();
  return result;
}

namespace {

std::string CtraceBin() {
  const char* bin = std::getenv("CTRACE_BIN");
  return bin != nullptr ? bin : "ctrace";
}

}  // namespace

Status CreateKafkaTopics(const std::string& prefix, int partitions) {
  const auto result = RunCommand({CtraceBin(), "topics", "--create", "--kafka", KafkaBrokers(), "--topic-prefix",
                                  prefix, "--partitions", std::to_string(partitions)});
  if (!result.exited_ok()) {
    return Status::Error("ctrace topics --create: " + DescribeExit(result.status) + ": " + result.output);
  }
  return Status::Ok();
}

std::vector<std::string> KafkaServeFlags(const std::string& prefix) {
  return {"--kafka", KafkaBrokers(), "--topic-prefix", prefix, "--group", prefix};
}

Status KcatProduce(const std::string& prefix, const std::vector<std::string>& lines, size_t* messages) {
  std::map<std::string, std::vector<std::string>> by_topic;
  for (const auto& line : lines) {
    const json event = json::parse(line, nullptr, false);
    std::string topic = "checkins";
    std::string key = "-";
    if (event.is_object()) {
      const std::string type = event.value("type", json()).is_string() ? event["type"].get<std::string>() : "";
      if (type == "test_result") topic = "tests";
      if (type == "declaration") topic = "declarations";
      if (event.contains("person") && event["person"].is_string()) key = event["person"].get<std::string>();
    }
    if (key.find(':') != std::string::npos || key.empty()) key = "-";
    by_topic[topic].push_back(key + ":" + line);
  }
  *messages = 0;
  TempDir dir("ctrace-kcat-");
  for (const auto& [topic, keyed] : by_topic) {
    const std::string path = dir.Sub(topic).string();
    {
      std::ofstream out(path, std::ios::binary);
      for (const auto& line : keyed) out << line << '\n';
    }
    const auto result = RunCommand({"kcat", "-P", "-b", KafkaBrokers(), "-t", prefix + "." + topic, "-K:", "-X",
                                    "acks=all", "-l", path});
    if (!result.exited_ok()) {
      return Status::Error("kcat -P " + prefix + "." + topic + ": " + DescribeExit(result.status) + ": " +
                           result.output);
    }
    *messages += keyed.size();
  }
  return Status::Ok();
}

Status CtraceIngestKafka(const std::string& prefix, const std::string& file, const std::vector<std::string>& extra,
                         IngestSummary* summary) {
  std::vector<std::string> args = {CtraceBin(), "ingest", "--kafka", KafkaBrokers(), "--topic-prefix", prefix};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(file);
  const auto result = RunCommand(args, file == "-" ? "" : "");
  if (!result.exited_ok()) {
    return Status::Error("ctrace ingest --kafka: " + DescribeExit(result.status) + ": " + result.output);
  }
  const auto at = result.output.find("events: ");
  if (at == std::string::npos ||
      std::sscanf(result.output.c_str() + at, "events: %lld accepted: %lld duplicates: %lld rejected: %lld",
                  &summary->events, &summary->accepted, &summary->duplicates, &summary->rejected) != 4) {
    return Status::Error("ctrace ingest --kafka: no summary in: " + result.output);
  }
  return Status::Ok();
}

Status WaitForStats(HttpClient& client, const std::function<bool(const json&)>& done,
                    std::chrono::milliseconds timeout, json* last) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    json stats;
    const Status got = GetJson(client, "/v1/stats", &stats);
    if (got.ok()) {
      *last = stats;
      if (done(stats)) return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Error("stats did not reach the expected state in time; last: " + last->dump() +
                           (got.ok() ? "" : " (" + got.message() + ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

long long AppliedEvents(const json& stats) {
  long long total = 0;
  if (!stats.contains("events") || !stats["events"].is_object()) return 0;
  for (const auto& [name, count] : stats["events"].items()) {
    if (name.rfind("applied.", 0) == 0 && count.is_number()) total += count.get<long long>();
  }
  return total;
}

Status DumpAnswers(HttpClient& client, const std::set<std::string>& persons, const std::set<std::string>& venues,
                   int max_depth, json* dump) {
  *dump = json::object();
  for (int level = 1; level <= max_depth; ++level) {
    json got;
    if (Status s = GetAllPages(client, "/v1/exposed?level=" + std::to_string(level) + "&", "persons", 500, &got);
        !s.ok()) {
      return s;
    }
    (*dump)["exposed"][std::to_string(level)] = got;
  }
  json cases;
  if (Status s = GetAllPages(client, "/v1/cases?", "cases", 500, &cases); !s.ok()) return s;
  (*dump)["cases"] = cases;
  json clusters;
  if (Status s = GetJson(client, "/v1/clusters", &clusters); !s.ok()) return s;
  (*dump)["clusters"] = clusters.value("clusters", json());
  for (const json& c : cases) {
    const std::string person = c.value("person", "");
    json chain;
    if (Status s = GetJson(client, "/v1/cases/" + UrlEncode(person) + "/chain", &chain); !s.ok()) return s;
    (*dump)["chains"][person] = chain;
  }
  for (const std::string& person : persons) {
    const HttpResponse response = client.Get("/v1/persons/" + UrlEncode(person));
    if (response.status == 404) {
      (*dump)["persons"][person] = nullptr;
    } else if (response.status == 200) {
      (*dump)["persons"][person] = json::parse(response.body, nullptr, false);
    } else {
      return Status::Error("GET /v1/persons/" + person + ": status " + std::to_string(response.status) + " " +
                           response.error);
    }
  }
  const std::string from = UrlEncode("2000-01-01T00:00:00Z");
  const std::string to = UrlEncode("2100-01-01T00:00:00Z");
  for (const std::string& venue : venues) {
    json got;
    if (Status s = GetAllPages(client, "/v1/venues/" + UrlEncode(venue) + "/visits?from=" + from + "&to=" + to + "&",
                               "visits", 1000, &got);
        !s.ok()) {
      return s;
    }
    (*dump)["venues"][venue] = got;
  }
  return Status::Ok();
}

void CollectIds(const std::vector<std::string>& lines, std::set<std::string>* persons, std::set<std::string>* venues) {
  // Only well-formed ids (events.md: 1..64 of [A-Za-z0-9_.:-]); others are answered 400.
  auto well_formed = [](const json& id) {
    if (!id.is_string()) return false;
    const std::string text = id.get<std::string>();
    if (text.empty() || text.size() > 64) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == ':' || c == '-';
    });
  };
  for (const auto& line : lines) {
    const json event = json::parse(line, nullptr, false);
    if (!event.is_object()) continue;
    if (event.contains("person") && well_formed(event["person"])) persons->insert(event["person"].get<std::string>());
    if (event.contains("venue") && well_formed(event["venue"])) venues->insert(event["venue"].get<std::string>());
  }
}

}  // namespace ctrace::test_support
