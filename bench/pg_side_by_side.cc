// PostgreSQL side by side (issue 7): the same visits in ctrace and in a PostgreSQL 15 cluster,
// the same F1 question asked of both for the same sampled cases, p50/p99 latency of each and
// a check that both find exactly the same contacts.
//
// Input: a ctrace data directory already loaded and applied (lag 0). The program
//   1. opens DATA/state read-only, reads every visit (people from the expiry index, then each
//      person's visits) and samples --cases of the cases (seeded);
//   2. times ctrace in-process on a snapshot of the real RocksDB store, as the query engine
//      does: the F1 contact scan (ForEachOverlapOf + ContactInside over the case's visits in
//      W0), QueryEngine::GetChain(case, 1) (what GET /v1/cases/{id}/chain?depth=1 runs) and
//      QueryEngine::GetChain(case, 2) (for the first --chain2-cases cases, in every engine);
//      then closes the store;
//   3. loads the visits into PostgreSQL (--pg: a throwaway cluster, bench/pg_side_by_side.sh
//      starts one): COPY, VACUUM ANALYZE, then per variant (bench/pg_f1_queries.h) its indexes
//      (each build timed), ANALYZE, the F1 query and the depth-2 chain query through prepared
//      statements, and drops that variant's indexes;
//   4. with --ctrace BIN, runs `ctrace serve` on the data directory and times
//      GET /v1/cases/{id}/chain?depth=1 and ?depth=2 over HTTP (one keep-alive connection);
//   5. compares every engine's answer with ctrace's chain for every sampled case (people,
//      levels and contact times, to the millisecond), prints a table and writes JSON.
// Every timed figure is preceded by one untimed pass over the same cases (warm caches on both
// sides), then --repeat timed passes.
//
// Exit: 0 when every engine found the same contacts; 1 on a difference (the first differing
// case is printed) or a failure; 2 on bad flags.
#include <CLI/CLI.hpp>

#include <sys/sysinfo.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/latency.h"
#include "bench/pg_client.h"
#include "bench/pg_f1_queries.h"
#include "model/clock.h"
#include "model/params.h"
#include "model/time.h"
#include "processors/exposure_levels.h"
#include "processors/query_engine.h"
#include "processors/visit_builder.h"
#include "stores/state_store.h"
#include "tests/support/http_client.h"
#include "tests/support/serve_process.h"

namespace ctrace::bench {
namespace {

using Json = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::string data;
  std::string pg;
  std::string ctrace_bin;
  std::string clock = "fixed:2026-11-27T00:00:00Z";
  int max_depth = 2;  // what the data was applied with; `ctrace serve` gets the same
  int cases = 200;
  uint64_t seed = 1;
  int repeat = 1;
  int chain2_cases = -1;  // -1: every sampled case
  std::string json_path;
  double ctrace_ingest_seconds = 0;  // from the script when it built the city; 0: unknown
  double ctrace_apply_seconds = 0;
};

// Who a query reached from its case: person -> (level, exposed_at), the case itself left out.
using Reached = std::map<std::string, std::pair<int, TimeMs>>;

struct SampledCase {
  std::string person;
  Window window;
};

struct City {
  std::string copy_text;  // the COPY text of every visit
  uint64_t visits = 0;
  uint64_t events = 0;
  uint64_t people = 0;
  uint64_t venues = 0;
  uint64_t cases = 0;
  DurationMs longest_visit = 0;
};

// One timed query over every sampled case, and its answers.
struct Run {
  std::string key;       // JSON key: "pg_gist", "ctrace_http", ...
  std::string engine;    // one line for the table
  bool postgres = false;
  Latency latency;
  std::vector<Reached> answers;  // per sampled case (fewer when the run covered fewer)
};

double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

double MillisSince(SteadyClock::time_point since) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - since).count();
}

void Fail(const std::string& message) {
  std::fprintf(stderr, "pg_side_by_side: %s\n", message.c_str());
}

void Progress(const std::string& message) {
  std::fprintf(stderr, "pg_side_by_side: %s\n", message.c_str());
  std::fflush(stderr);
}

// Runs `query` on every case once untimed, then `repeat` timed passes; keeps the answers of
// the first timed pass. `query` returns false (with *error set) on failure.
bool Measure(const std::vector<SampledCase>& cases, int repeat,
             const std::function<bool(const SampledCase&, Reached*, std::string*)>& query, Run* run,
             std::string* error) {
  Reached answer;
  for (const auto& sampled : cases) {
    answer.clear();
    if (!query(sampled, &answer, error)) return false;
  }
  run->answers.assign(cases.size(), {});
  for (int pass = 0; pass < repeat; ++pass) {
    for (size_t case_idx = 0; case_idx < cases.size(); ++case_idx) {
      answer.clear();
      const auto start = SteadyClock::now();
      if (!query(cases[case_idx], &answer, error)) return false;
      run->latency.Add(MillisSince(start));
      if (pass == 0) run->answers[case_idx] = std::move(answer);
    }
  }
  return true;
}

// --- ctrace's state store ----------------------------------------------------------------

// Appends one COPY text line: person \t venue \t [start,end)
void AppendCopyLine(const VisitRecord& visit, std::string* out) {
  out->append(visit.person).push_back('\t');
  out->append(visit.venue).append("\t[");
  out->append(FormatUtc(visit.start)).push_back(',');
  out->append(FormatUtc(visit.end)).append(")\n");
}

City ExportCity(StateView& view) {
  City city;
  std::vector<std::string> people;
  view.ForEachExpiring(kTimeMax, [&](TimeMs, const std::string& person, const std::string&, EventType) {
    ++city.events;
    people.push_back(person);
    return true;
  });
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  city.people = people.size();
  std::unordered_set<std::string> venues;
  for (const auto& person : people) {
    view.ForEachPersonVisit(person, [&](const VisitRecord& visit) {
      ++city.visits;
      city.longest_visit = std::max(city.longest_visit, visit.end - visit.start);
      venues.insert(visit.venue);
      AppendCopyLine(visit, &city.copy_text);
      return true;
    });
  }
  city.venues = venues.size();
  return city;
}

std::vector<SampledCase> SampleCases(StateView& view, int count, uint64_t seed, uint64_t* total) {
  std::vector<SampledCase> cases;
  view.ForEachCase({}, [&](const std::string& person, const CaseInfo& info) {
    cases.push_back({person, info.window});
    return true;
  });
  *total = cases.size();
  std::mt19937_64 random(seed);
  // A seeded Fisher-Yates shuffle of our own: std::shuffle's use of the engine is unspecified.
  for (size_t idx = cases.size(); idx > 1; --idx) std::swap(cases[idx - 1], cases[random() % idx]);
  if (cases.size() > static_cast<size_t>(count)) cases.resize(static_cast<size_t>(count));
  return cases;
}

Reached FromChain(const ChainView& chain) {
  Reached reached;
  for (const auto& node : chain.nodes) {
    if (node.level == 0) continue;
    reached[node.person] = {node.level, node.exposed_at.value_or(0)};
  }
  return reached;
}

// The F1 contacts of one case as the engine finds contacts (tracing §3): the case's visits that
// overlap W0, the visits of others at the same venue overlapping them (ForEachOverlapOf on the
// venue-time index) and the clipped overlap inside W0 (ContactInside), on one snapshot.
void ScanF1(StateStore& store, const SampledCase& sampled, const TracingParams& params, Reached* reached) {
  auto view = store.Snapshot();
  std::vector<VisitRecord> visits;
  view->ForEachPersonVisit(sampled.person, [&](const VisitRecord& visit) {
    if (visit.start < sampled.window.end && visit.end > sampled.window.start) visits.push_back(visit);
    return true;
  });
  ForEachOverlapOf(*view, visits, params, [&](const VisitRecord& mine, const VisitRecord& other) {
    const auto contact = ContactInside(mine, other, sampled.window, params);
    if (!contact) return;
    auto [it, inserted] = reached->emplace(other.person, std::make_pair(1, contact->start));
    if (!inserted) it->second.second = std::min(it->second.second, contact->start);
  });
}

// --- PostgreSQL ----------------------------------------------------------------------------

std::string RowsText(const PgRows& rows) {
  std::string text;
  for (const auto& row : rows) {
    for (size_t column = 0; column < row.size(); ++column) {
      if (column > 0) text.push_back('\t');
      text.append(row[column]);
    }
    text.push_back('\n');
  }
  return text;
}

bool ReachedFromRows(const PgRows& rows, Reached* reached, std::string* error) {
  for (const auto& row : rows) {
    if (row.size() != 3) {
      *error = "a result row without 3 columns";
      return false;
    }
    (*reached)[row[1]] = {std::stoi(row[0]), static_cast<TimeMs>(std::stoll(row[2]))};
  }
  return true;
}

std::vector<std::string> CaseParams(const SampledCase& sampled) {
  return {sampled.person, FormatUtc(sampled.window.start), FormatUtc(sampled.window.end)};
}

struct PgLoad {
  double copy_seconds = 0;
  double vacuum_seconds = 0;
  std::vector<std::pair<std::string, double>> index_seconds;  // per variant index
  double analyze_seconds = 0;
  uint64_t table_bytes = 0;
  uint64_t index_bytes = 0;
  std::string plan_f1;  // EXPLAIN ANALYZE of the F1 query for the first sampled case
  double total() const {
    double sum = copy_seconds + vacuum_seconds + analyze_seconds;
    for (const auto& [label, seconds] : index_seconds) sum += seconds;
    return sum;
  }
};

bool TimedExec(PgClient& pg, const std::string& sql, double* seconds) {
  const auto start = SteadyClock::now();
  const bool ok = pg.Exec(sql).has_value();
  *seconds = Seconds(start);
  return ok;
}

uint64_t QueryNumber(PgClient& pg, const std::string& sql) {
  const auto rows = pg.Exec(sql);
  if (!rows || rows->empty() || rows->front().empty()) return 0;
  return std::stoull(rows->front().front());
}

// --- the report ----------------------------------------------------------------------------

// The first difference between `expected` (ctrace's chain) and `got`, or "" when equal.
std::string FirstDifference(const Reached& expected, const Reached& got) {
  auto describe = [](const Reached& reached, const std::string& person) {
    const auto it = reached.find(person);
    if (it == reached.end()) return std::string("absent");
    return "level " + std::to_string(it->second.first) + " at " + FormatUtc(it->second.second);
  };
  std::set<std::string> people;
  for (const auto& [person, unused] : expected) people.insert(person);
  for (const auto& [person, unused] : got) people.insert(person);
  for (const auto& person : people) {
    const auto a = expected.find(person);
    const auto b = got.find(person);
    if (a != expected.end() && b != got.end() && a->second == b->second) continue;
    return person + ": ctrace chain " + describe(expected, person) + ", this engine " + describe(got, person) +
           " (ctrace reached " + std::to_string(expected.size()) + ", this engine " + std::to_string(got.size()) + ")";
  }
  return {};
}

// Compares `run` with `reference` case by case; counts the differing cases, prints the first.
uint64_t Compare(const std::string& query, const Run& reference, const Run& run,
                 const std::vector<SampledCase>& cases) {
  uint64_t differing = 0;
  for (size_t case_idx = 0; case_idx < run.answers.size() && case_idx < reference.answers.size(); ++case_idx) {
    const std::string difference = FirstDifference(reference.answers[case_idx], run.answers[case_idx]);
    if (difference.empty()) continue;
    if (differing == 0) {
      const auto& sampled = cases[case_idx];
      Fail("DIFFERENCE in " + query + ", " + run.key + " vs " + reference.key + ", case " + sampled.person +
           " W0 [" + FormatUtc(sampled.window.start) + ", " + FormatUtc(sampled.window.end) + "): " + difference);
    }
    ++differing;
  }
  return differing;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Thousands(double value) {
  const std::string digits = Fixed(value, 0);
  std::string text;
  for (size_t idx = 0; idx < digits.size(); ++idx) {
    if (idx > 0 && (digits.size() - idx) % 3 == 0 && digits[idx - 1] != '-') text.push_back(',');
    text.push_back(digits[idx]);
  }
  return text;
}

std::string Ms(double ms) { return ms < 1 ? Fixed(ms, 3) : ms < 100 ? Fixed(ms, 2) : Fixed(ms, 0); }

std::string Times(double ratio) { return ratio <= 0 ? "—" : Fixed(ratio, ratio < 10 ? 2 : 1) + "×"; }

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string LoadAverage() {
  std::ifstream loadavg("/proc/loadavg");
  std::string one, five, fifteen;
  loadavg >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

uint64_t DirectoryBytes(const std::filesystem::path& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error)) bytes += it->file_size(error);
  }
  return bytes;
}

Json LatencyJson(const Latency& latency) {
  return Json{{"samples", latency.count()},
              {"p50_ms", latency.Percentile(0.5)},
              {"p99_ms", latency.Percentile(0.99)},
              {"mean_ms", latency.Mean()},
              {"max_ms", latency.Max()}};
}

// Prints one query's rows (markdown into *table, one object per row into *rows) and returns
// its JSON; ratios are the best PostgreSQL figure divided by the row's (above 1: faster than
// the best PostgreSQL variant).
Json ReportQuery(const std::string& query, const std::vector<const Run*>& runs, std::string* table, Json* rows) {
  double best_p50 = 0, best_p99 = 0;
  for (const Run* run : runs) {
    if (!run->postgres || run->latency.count() == 0) continue;
    const double p50 = run->latency.Percentile(0.5), p99 = run->latency.Percentile(0.99);
    if (best_p50 == 0 || p50 < best_p50) best_p50 = p50;
    if (best_p99 == 0 || p99 < best_p99) best_p99 = p99;
  }
  Json json = Json::object();
  for (const Run* run : runs) {
    if (run->latency.count() == 0) continue;
    const double p50 = run->latency.Percentile(0.5), p99 = run->latency.Percentile(0.99);
    const double ratio50 = best_p50 > 0 ? best_p50 / p50 : 0, ratio99 = best_p99 > 0 ? best_p99 / p99 : 0;
    table->append("| " + query + " | " + run->engine + " | " + std::to_string(run->answers.size()) + " | " +
                  Ms(p50) + " | " + Ms(p99) + " | " + Ms(run->latency.Mean()) + " | " + Times(ratio50) + " | " +
                  Times(ratio99) + " |\n");
    Json entry = LatencyJson(run->latency);
    entry["engine"] = run->engine;
    entry["cases"] = run->answers.size();
    entry["best_pg_p50_over_this"] = ratio50;
    entry["best_pg_p99_over_this"] = ratio99;
    json[run->key] = entry;
    rows->push_back({{"query", query},
                     {"engine", run->engine},
                     {"cases", run->answers.size()},
                     {"p50 ms", Ms(p50)},
                     {"p99 ms", Ms(p99)},
                     {"best PG p50 / this", Times(ratio50)},
                     {"best PG p99 / this", Times(ratio99)}});
  }
  return json;
}

int Main(const Flags& flags) {
  const TracingParams params;  // the data must have been applied with the defaults
  std::string error;
  auto clock = MakeClock(flags.clock, &error);
  if (!clock) {
    Fail("--clock: " + error);
    return 2;
  }
  Json report;
  report["machine"] = {{"nproc", std::thread::hardware_concurrency()},
                       {"cpu", CpuModel()},
                       {"ram_bytes", [] {
                          struct sysinfo info {};
                          sysinfo(&info);
                          return static_cast<uint64_t>(info.totalram) * info.mem_unit;
                        }()},
                       {"loadavg_start", LoadAverage()}};

  // 1-2. ctrace: the city, the sample, the in-process figures.
  StoreOptions store_options;
  store_options.read_only = true;
  auto store = StateStore::Open(flags.data + "/state", store_options, &error);
  if (!store) {
    Fail("cannot open " + flags.data + "/state: " + error);
    return 1;
  }
  Progress("reading the visits from " + flags.data + "/state");
  auto export_start = SteadyClock::now();
  City city;
  std::vector<SampledCase> cases;
  {
    auto view = store->Snapshot();
    city = ExportCity(*view);
    cases = SampleCases(*view, flags.cases, flags.seed, &city.cases);
  }
  const double export_seconds = Seconds(export_start);
  Progress(Thousands(static_cast<double>(city.visits)) + " visits, " + Thousands(static_cast<double>(city.events)) +
           " events, " + std::to_string(city.people) + " people, " + std::to_string(city.venues) + " venues, " +
           std::to_string(city.cases) + " cases (" + Fixed(export_seconds, 1) + " s); sampled " +
           std::to_string(cases.size()));
  if (cases.empty()) {
    Fail("the data directory has no cases to sample");
    return 1;
  }
  // The chain of depth 2 reaches a large share of a city: it may run for the first few only.
  std::vector<SampledCase> chain2_cases = cases;
  if (flags.chain2_cases >= 0 && chain2_cases.size() > static_cast<size_t>(flags.chain2_cases)) {
    chain2_cases.resize(static_cast<size_t>(flags.chain2_cases));
  }
  if (city.longest_visit > LongestVisit(params)) {
    Fail("a visit lasts " + FormatDuration(city.longest_visit) + ", longer than max_stay: the data was not built with "
         "the default parameters");
    return 1;
  }

  Run scan{"ctrace_f1_scan", "ctrace in-process: contact scan (ForEachOverlapOf + ContactInside, snapshot)"};
  Run chain1{"ctrace_chain", "ctrace in-process: QueryEngine::GetChain(case, 1)"};
  Run chain2{"ctrace_chain", "ctrace in-process: QueryEngine::GetChain(case, 2)"};
  {
    QueryEngine engine(store.get(), params, clock.get(), StatsSources{});
    auto chain_query = [&](int depth) {
      return [&engine, depth](const SampledCase& sampled, Reached* reached, std::string* query_error) {
        const auto chain = engine.GetChain(sampled.person, depth);
        if (!chain) {
          *query_error = "GetChain: " + sampled.person + " is not a case";
          return false;
        }
        *reached = FromChain(*chain);
        return true;
      };
    };
    Progress("ctrace in-process: F1 scan, chain depth 1, chain depth 2");
    if (!Measure(cases, flags.repeat, [&](const SampledCase& sampled, Reached* reached, std::string*) {
          ScanF1(*store, sampled, params, reached);
          return true;
        }, &scan, &error) ||
        !Measure(cases, flags.repeat, chain_query(1), &chain1, &error) ||
        !Measure(chain2_cases, flags.repeat, chain_query(2), &chain2, &error)) {
      Fail(error);
      return 1;
    }
  }
  store.reset();
  const uint64_t state_bytes = DirectoryBytes(flags.data + "/state");
  const uint64_t log_bytes = DirectoryBytes(flags.data + "/log");

  // 3. PostgreSQL.
  PgClient pg(flags.pg);
  if (!pg.connected()) {
    Fail("cannot connect to PostgreSQL (" + flags.pg + "): " + pg.error());
    return 1;
  }
  auto exec = [&](const std::string& sql) {
    if (pg.Exec(sql)) return true;
    Fail(sql.substr(0, 60) + "...: " + pg.error());
    return false;
  };
  Json pg_json;
  {
    const auto version = pg.Exec("SELECT version()");
    pg_json["version"] = version && !version->empty() ? version->front().front() : "";
    Json settings = Json::object();
    for (const char* name : {"shared_buffers", "work_mem", "maintenance_work_mem", "max_wal_size", "fsync",
                             "synchronous_commit", "wal_level", "jit", "random_page_cost",
                             "max_parallel_maintenance_workers", "effective_cache_size"}) {
      const auto rows = pg.Exec(std::string("SHOW ") + name);
      settings[name] = rows && !rows->empty() ? rows->front().front() : "";
    }
    pg_json["settings"] = settings;
  }
  if (!exec("SET TimeZone = 'UTC'") || !exec(PgSchemaSql())) return 1;
  Progress("PostgreSQL: COPY of " + Thousands(static_cast<double>(city.visits)) + " visits");
  PgLoad base;
  {
    const auto start = SteadyClock::now();
    const auto copied = pg.CopyIn(PgCopySql(), city.copy_text);
    base.copy_seconds = Seconds(start);
    if (!copied || *copied != city.visits) {
      Fail("COPY: " + (copied ? std::to_string(*copied) + " rows" : pg.error()));
      return 1;
    }
  }
  std::string().swap(city.copy_text);
  if (!TimedExec(pg, "VACUUM ANALYZE visits", &base.vacuum_seconds)) {
    Fail("VACUUM ANALYZE: " + pg.error());
    return 1;
  }
  base.table_bytes = QueryNumber(pg, "SELECT pg_table_size('visits')");

  std::vector<PgVariant> variants = {PgGistVariant(params), PgBtreeVariant(params)};
  std::vector<PgLoad> loads;
  std::vector<Run> pg_f1, pg_chain2;
  for (const auto& variant : variants) {
    PgLoad load = base;
    for (const auto& index : variant.indexes) {
      Progress("PostgreSQL: " + index.label);
      double seconds = 0;
      if (!TimedExec(pg, index.sql, &seconds)) {
        Fail(index.label + ": " + pg.error());
        return 1;
      }
      load.index_seconds.emplace_back(index.label, seconds);
    }
    if (!TimedExec(pg, "ANALYZE visits", &load.analyze_seconds)) {
      Fail("ANALYZE: " + pg.error());
      return 1;
    }
    load.index_bytes = QueryNumber(pg, "SELECT pg_indexes_size('visits')");
    const std::string f1_name = "f1_" + variant.name, chain2_name = "chain2_" + variant.name;
    if (!pg.Prepare(f1_name, variant.f1_sql, 3) || !pg.Prepare(chain2_name, variant.chain2_sql, 3)) {
      Fail(pg.error());
      return 1;
    }
    auto sql_query = [&pg](const std::string& name) {
      return [&pg, name](const SampledCase& sampled, Reached* reached, std::string* query_error) {
        const auto rows = pg.ExecPrepared(name, CaseParams(sampled));
        if (!rows) {
          *query_error = pg.error();
          return false;
        }
        return ReachedFromRows(*rows, reached, query_error);
      };
    };
    Run f1{variant.name, variant.description, true};
    Run c2{variant.name, variant.description, true};
    Progress("PostgreSQL " + variant.name + ": F1 for " + std::to_string(cases.size()) + " cases, chain depth 2 for " +
             std::to_string(chain2_cases.size()));
    if (!Measure(cases, flags.repeat, sql_query(f1_name), &f1, &error) ||
        (!chain2_cases.empty() && !Measure(chain2_cases, flags.repeat, sql_query(chain2_name), &c2, &error))) {
      Fail(variant.name + ": " + error);
      return 1;
    }
    const auto params_text = CaseParams(cases.front());
    const auto plan = pg.Exec("EXPLAIN (ANALYZE, BUFFERS) EXECUTE " + f1_name + "('" + params_text[0] + "', '" +
                              params_text[1] + "', '" + params_text[2] + "')");
    if (plan) load.plan_f1 = RowsText(*plan);
    for (const auto& drop : variant.drop) {
      if (!exec(drop)) return 1;
    }
    loads.push_back(std::move(load));
    pg_f1.push_back(std::move(f1));
    pg_chain2.push_back(std::move(c2));
  }

  // 4. ctrace over HTTP.
  Run http1{"ctrace_http", "ctrace over HTTP: GET /v1/cases/{id}/chain?depth=1 (keep-alive)"};
  Run http2{"ctrace_http", "ctrace over HTTP: GET /v1/cases/{id}/chain?depth=2 (keep-alive)"};
  if (!flags.ctrace_bin.empty()) {
    test_support::ServeOptions serve_options;
    serve_options.data_dir = flags.data;
    serve_options.clock = flags.clock;
    serve_options.binary = flags.ctrace_bin;
    serve_options.extra_flags = {"--erase-interval", "0", "--max-depth", std::to_string(flags.max_depth)};
    serve_options.ready_timeout = std::chrono::minutes(10);
    serve_options.stop_timeout = std::chrono::minutes(2);
    test_support::ServeProcess serve(serve_options);
    Progress("ctrace serve: starting on " + flags.data);
    if (auto status = serve.Start(); !status.ok()) {
      Fail("ctrace serve: " + status.message());
      return 1;
    }
    auto http_query = [&serve](int depth) {
      return [&serve, depth](const SampledCase& sampled, Reached* reached, std::string* query_error) {
        const auto response = serve.client().Get("/v1/cases/" + test_support::UrlEncode(sampled.person) +
                                                 "/chain?depth=" + std::to_string(depth));
        if (response.status != 200) {
          *query_error = "chain of " + sampled.person + ": HTTP " + std::to_string(response.status) + " " +
                         response.error + response.body.substr(0, 200);
          return false;
        }
        const auto body = Json::parse(response.body, nullptr, false);
        if (body.is_discarded() || !body.contains("nodes")) {
          *query_error = "chain of " + sampled.person + ": not a chain: " + response.body.substr(0, 200);
          return false;
        }
        for (const auto& node : body["nodes"]) {
          const int level = node.value("level", -1);
          if (level == 0) continue;
          const auto exposed_at = node["exposed_at"].is_string()
                                      ? ParseRfc3339(node["exposed_at"].get<std::string>())
                                      : std::nullopt;
          (*reached)[node.value("person", "")] = {level, exposed_at.value_or(0)};
        }
        return true;
      };
    };
    Progress("ctrace over HTTP: chain depth 1 and 2");
    if (!Measure(cases, flags.repeat, http_query(1), &http1, &error) ||
        !Measure(chain2_cases, flags.repeat, http_query(2), &http2, &error)) {
      Fail(error);
      return 1;
    }
    if (auto status = serve.Stop(); !status.ok()) Fail("ctrace serve: " + status.message());
  }

  // 5. Same answers?
  uint64_t differing = 0;
  differing += Compare("F1", chain1, scan, cases);
  differing += Compare("F1", chain1, http1, cases);
  for (const auto& run : pg_f1) differing += Compare("F1", chain1, run, cases);
  differing += Compare("chain depth 2", chain2, http2, cases);
  for (const auto& run : pg_chain2) differing += Compare("chain depth 2", chain2, run, cases);

  // The report.
  double f1_contacts = 0, chain2_nodes = 0;
  for (const auto& answer : chain1.answers) f1_contacts += static_cast<double>(answer.size());
  for (const auto& answer : chain2.answers) chain2_nodes += static_cast<double>(answer.size());
  f1_contacts /= static_cast<double>(std::max<size_t>(1, chain1.answers.size()));
  chain2_nodes /= static_cast<double>(std::max<size_t>(1, chain2.answers.size()));
  report["city"] = {{"data", flags.data},
                    {"visits", city.visits},
                    {"events", city.events},
                    {"people", city.people},
                    {"venues", city.venues},
                    {"cases", city.cases},
                    {"sampled_cases", cases.size()},
                    {"chain2_cases", chain2_cases.size()},
                    {"seed", flags.seed},
                    {"repeat", flags.repeat},
                    {"applied_max_depth", flags.max_depth},
                    {"avg_f1_contacts", f1_contacts},
                    {"avg_chain2_people", chain2_nodes},
                    {"ctrace_state_bytes", state_bytes},
                    {"ctrace_log_bytes", log_bytes}};

  std::string table;
  table += "PostgreSQL side by side: " + Thousands(static_cast<double>(city.visits)) + " visits (" +
           Thousands(static_cast<double>(city.events)) + " events, " + Thousands(static_cast<double>(city.people)) +
           " people, " + Thousands(static_cast<double>(city.venues)) + " venues, " +
           Thousands(static_cast<double>(city.cases)) + " cases); " + std::to_string(cases.size()) +
           " sampled cases, " + Fixed(f1_contacts, 0) + " F1 contacts and " + Fixed(chain2_nodes, 0) +
           " people in a depth-2 chain on average\n\n";
  table += "| query | engine | cases | p50 ms | p99 ms | mean ms | best PG p50 / this | best PG p99 / this |\n";
  table += "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  std::vector<const Run*> f1_runs, chain2_runs;
  for (const auto& run : pg_f1) f1_runs.push_back(&run);
  for (const Run* run : {&scan, &chain1, &http1}) f1_runs.push_back(run);
  for (const auto& run : pg_chain2) chain2_runs.push_back(&run);
  for (const Run* run : {&chain2, &http2}) chain2_runs.push_back(run);
  Json rows = Json::array();  // the latency rows, for bench/report.py
  report["f1"] = ReportQuery("F1 of a case", f1_runs, &table, &rows);
  report["chain2"] = ReportQuery("chain depth 2", chain2_runs, &table, &rows);
  report["table"] = rows;

  // Load: rates over the same visits and the events they came from.
  table += "\n| load | engine | seconds | visits/s | events/s | this / best PG | disk bytes |\n";
  table += "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n";
  double best_pg_rate = 0;
  for (const auto& load : loads) best_pg_rate = std::max(best_pg_rate, static_cast<double>(city.visits) / load.total());
  auto load_row = [&](const std::string& what, const std::string& engine, double seconds, uint64_t bytes) {
    const double visit_rate = static_cast<double>(city.visits) / seconds;
    table += "| " + what + " | " + engine + " | " + Fixed(seconds, 1) + " | " + Thousands(visit_rate) + " | " +
             Thousands(static_cast<double>(city.events) / seconds) + " | " + Times(visit_rate / best_pg_rate) + " | " +
             (bytes > 0 ? Thousands(static_cast<double>(bytes)) : "—") + " |\n";
    return Json{{"seconds", seconds},
                {"visits_per_s", visit_rate},
                {"events_per_s", static_cast<double>(city.events) / seconds},
                {"this_over_best_pg", visit_rate / best_pg_rate},
                {"disk_bytes", bytes}};
  };
  Json load_json;
  for (size_t variant_idx = 0; variant_idx < variants.size(); ++variant_idx) {
    const auto& load = loads[variant_idx];
    std::string steps = "COPY " + Fixed(load.copy_seconds, 1) + " s, VACUUM ANALYZE " + Fixed(load.vacuum_seconds, 1) + " s";
    Json indexes = Json::object();
    for (const auto& [label, seconds] : load.index_seconds) {
      steps += ", " + label + " " + Fixed(seconds, 1) + " s";
      indexes[label] = seconds;
    }
    steps += ", ANALYZE " + Fixed(load.analyze_seconds, 1) + " s";
    Json entry = load_row("COPY + indexes", variants[variant_idx].description + " (" + steps + ")", load.total(),
                          load.table_bytes + load.index_bytes);
    entry["copy_seconds"] = load.copy_seconds;
    entry["vacuum_analyze_seconds"] = load.vacuum_seconds;
    entry["index_seconds"] = indexes;
    entry["analyze_seconds"] = load.analyze_seconds;
    entry["table_bytes"] = load.table_bytes;
    entry["index_bytes"] = load.index_bytes;
    entry["explain_f1_first_case"] = load.plan_f1;
    load_json[variants[variant_idx].name] = entry;
  }
  if (flags.ctrace_ingest_seconds > 0 && flags.ctrace_apply_seconds > 0) {
    load_json["ctrace_ingest"] = load_row("events → log", "ctrace ingest (fsynced embedded log)",
                                          flags.ctrace_ingest_seconds, log_bytes);
    const std::string depth = "max_depth " + std::to_string(flags.max_depth);
    load_json["ctrace_apply"] = load_row("log → derived state", "ctrace apply (serve until lag 0, " + depth + ")",
                                         flags.ctrace_apply_seconds, state_bytes);
    load_json["ctrace_total"] = load_row("events → derived state", "ctrace ingest + apply (" + depth + ")",
                                         flags.ctrace_ingest_seconds + flags.ctrace_apply_seconds,
                                         state_bytes + log_bytes);
  }
  report["load"] = load_json;
  report["postgres"] = pg_json;
  report["machine"]["loadavg_end"] = LoadAverage();
  report["matched"] = differing == 0;
  report["differing_cases"] = differing;

  table += "\nmachine: " + std::to_string(std::thread::hardware_concurrency()) + " cores (" + CpuModel() +
           "), load average " + report["machine"]["loadavg_start"].get<std::string>() + " at the start, " +
           LoadAverage() + " at the end; " + pg_json["version"].get<std::string>().substr(0, 40) + "\n";
  table += differing == 0 ? "same contacts: yes, every engine found exactly ctrace's contacts for every sampled case\n"
                          : "same contacts: NO, " + std::to_string(differing) + " differing answers (see above)\n";
  std::fputs(table.c_str(), stdout);
  report["table_markdown"] = table;
  if (!flags.json_path.empty()) {
    std::filesystem::create_directories(std::filesystem::path(flags.json_path).parent_path());
    std::ofstream out(flags.json_path, std::ios::trunc);
    out << report.dump(2) << '\n';
    if (!out) Fail("cannot write " + flags.json_path);
  }
  return differing == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ctrace::bench

int main(int argc, char** argv) {
  ctrace::bench::Flags flags;
  CLI::App app{"PostgreSQL side by side: F1 and chain latency in ctrace and PostgreSQL on the same visits"};
  app.add_option("--data", flags.data, "a ctrace data directory, loaded and applied")->required();
  app.add_option("--pg", flags.pg, "libpq connection string of a throwaway PostgreSQL 15 database")->required();
  app.add_option("--ctrace", flags.ctrace_bin, "the ctrace binary, to time the chain over HTTP (empty: skip)");
  app.add_option("--clock", flags.clock, "the --clock the data was built with")->capture_default_str();
  app.add_option("--max-depth", flags.max_depth, "the --max-depth the data was applied with")->capture_default_str();
  app.add_option("--cases", flags.cases, "cases sampled")->capture_default_str();
  app.add_option("--seed", flags.seed, "sampling seed")->capture_default_str();
  app.add_option("--repeat", flags.repeat, "timed passes after the warm-up pass")->capture_default_str();
  app.add_option("--chain2-cases", flags.chain2_cases,
                 "the chain of depth 2 runs for the first N sampled cases, in every engine (-1: all)")
      ->capture_default_str();
  app.add_option("--json", flags.json_path, "where to write the JSON report");
  app.add_option("--ctrace-ingest-seconds", flags.ctrace_ingest_seconds, "how long `ctrace ingest` took (0: unknown)");
  app.add_option("--ctrace-apply-seconds", flags.ctrace_apply_seconds, "how long the apply to lag 0 took (0: unknown)");
  CLI11_PARSE(app, argc, argv);
  if (flags.cases < 1 || flags.repeat < 1) {
    std::fprintf(stderr, "pg_side_by_side: --cases and --repeat must be at least 1\n");
    return 2;
  }
  return ctrace::bench::Main(flags);
}
