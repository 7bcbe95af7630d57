#include "api/router.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "api/json_writer.h"
#include "api/view_json.h"
#include "model/params.h"
#include "model/time.h"

namespace ctrace {
namespace {

constexpr std::string_view kParam = "{}";  // a route pattern segment matching any one segment

HttpResponse JsonResponse(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

// The media type of a Content-Type value, lower-cased, without parameters or spaces.
std::string MediaType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string lowered(type);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

bool MatchPattern(const std::vector<std::string_view>& pattern,
                  const std::vector<std::string>& segments, std::vector<std::string>* params) {
  if (pattern.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == kParam) {
      params->push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view RouteClassName(RouteClass route_class) {
  switch (route_class) {
    case RouteClass::kPublic: return "public";
    case RouteClass::kIngest: return "ingest";
    case RouteClass::kPersonalData: return "personal_data";
    case RouteClass::kDashboard: return "dashboard";
    case RouteClass::kStats: return "stats";
    case RouteClass::kOps: return "ops";
  }
  return "unknown";
}

struct Router::Route {
  RouteId id;
  std::string_view method;
  RouteClass route_class;
  std::vector<std::string_view> pattern;  // path segments; kParam matches any one
  Handler handler;
};

const std::vector<Router::Route>& Router::Routes() {
  static const std::vector<Route> routes = {
      {RouteId::kIngestEvents, "POST", RouteClass::kIngest, {"v1", "events"}, &Router::IngestEvents},
      {RouteId::kPerson, "GET", RouteClass::kPersonalData, {"v1", "persons", kParam},
       &Router::GetPerson},
      {RouteId::kExposed, "GET", RouteClass::kPersonalData, {"v1", "exposed"}, &Router::ListExposed},
      {RouteId::kCases, "GET", RouteClass::kPersonalData, {"v1", "cases"}, &Router::ListCases},
      {RouteId::kChain, "GET", RouteClass::kPersonalData, {"v1", "cases", kParam, "chain"},
       &Router::GetChain},
      {RouteId::kClusters, "GET", RouteClass::kDashboard, {"v1", "clusters"},
       &Router::ListClusters},
      {RouteId::kVenueVisits, "GET", RouteClass::kPersonalData, {"v1", "venues", kParam, "visits"},
       &Router::ListVenueVisits},
      {RouteId::kHotspots, "GET", RouteClass::kDashboard, {"v1", "hotspots"},
       &Router::ListHotspots},
      {RouteId::kAlerts, "GET", RouteClass::kDashboard, {"v1", "alerts"}, &Router::ListAlerts},
      {RouteId::kAlertStream, "GET", RouteClass::kDashboard, {"v1", "alerts", "stream"},
       &Router::AlertStreamWithoutUpgrade},
      {RouteId::kAdminErase, "POST", RouteClass::kOps, {"v1", "admin", "erase"}, &Router::RunErase},
      {RouteId::kStats, "GET", RouteClass::kStats, {"v1", "stats"}, &Router::GetStats},
      {RouteId::kMetrics, "GET", RouteClass::kOps, {"metrics"}, &Router::GetMetrics},
      {RouteId::kHealthz, "GET", RouteClass::kPublic, {"healthz"}, &Router::GetHealthz},
      {RouteId::kReadyz, "GET", RouteClass::kOps, {"readyz"}, &Router::GetReadyz},
  };
  return routes;
}

Router::Router(QueryService& queries, IngestService& ingest, RouterOptions options)
    : queries_(queries), ingest_(ingest), options_(std::move(options)) {}

HttpResponse Router::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  RouteId route_id = RouteId::kUnmatched;
  HttpResponse response;
  try {
    response = Dispatch(request, &route_id);
  } catch (const std::exception&) {
    // The message may hold ids: it is neither logged here nor sent.
    response = ErrorResponse(500, "internal error");
  } catch (...) {
    response = ErrorResponse(500, "internal error");
  }
  metrics_.Record(route_id, response.status, std::chrono::steady_clock::now() - start);
  return response;
}

HttpResponse Router::Dispatch(const HttpRequest& request, RouteId* route_id) {
  RequestTarget target;
  std::string error;
  if (!ParseRequestTarget(request.target, &target, &error)) return ErrorResponse(400, error);

  std::vector<std::string> params;
  std::string allowed;  // methods of routes whose path matches, for 405
  for (const Route& route : Routes()) {
    if (!MatchPattern(route.pattern, target.segments, &params)) continue;
    if (route.method != request.method) {
      if (!allowed.empty()) allowed.append(", ");
      allowed.append(route.method);
      continue;
    }
    *route_id = route.id;
    if (options_.authorize) {
      if (std::optional<HttpResponse> denied = options_.authorize(request, route.route_class)) {
        return std::move(*denied);
      }
    }
    return (this->*route.handler)(RouteContext{request, target, params});
  }
  if (!allowed.empty()) {
    HttpResponse response = ErrorResponse(405, "method not allowed for this path");
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  return ErrorResponse(404, "no such route");
}

StreamAdmission Router::AdmitAlertStream(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  StreamAdmission admission;
  RequestTarget target;
  std::string error;
  if (!ParseRequestTarget(request.target, &target, &error)) return admission;
  const std::vector<std::string_view> kStreamPath = {"v1", "alerts", "stream"};
  std::vector<std::string> params;
  if (!MatchPattern(kStreamPath, target.segments, &params)) return admission;

  admission.verdict = StreamAdmission::Verdict::kRefused;
  try {
    if (request.method != "GET") {
      admission.refusal = ErrorResponse(405, "method not allowed for this path");
      admission.refusal->headers.emplace_back("Allow", "GET");
    } else if (options_.authorize) {
      admission.refusal = options_.authorize(request, RouteClass::kDashboard);
    }
    if (!admission.refusal) {
      if (const std::string* since = target.Find("since")) {
        const std::optional<int64_t> value = ParseDecimal(*since);
        if (!value || *value < 0) {
          admission.refusal = ErrorResponse(400, "since must be a non-negative integer");
        } else {
          admission.since = static_cast<uint64_t>(*value);
        }
      }
    }
  } catch (...) {
    admission.refusal = ErrorResponse(500, "internal error");
  }
  if (!admission.refusal) admission.verdict = StreamAdmission::Verdict::kAccepted;
  metrics_.Record(RouteId::kAlertStream, admission.refusal ? admission.refusal->status : 101,
                  std::chrono::steady_clock::now() - start);
  return admission;
}

std::vector<AlertFrame> Router::ReadAlertFrames(uint64_t since, size_t limit) {
  const AlertsPage page = queries_.ListAlerts(since, limit);
  std::vector<AlertFrame> frames;
  frames.reserve(page.alerts.size());
  for (const AlertView& alert : page.alerts) {
    if (alert.seq <= since) continue;  // a QueryService must not, but a frame sent twice is worse
    AlertFrame frame;
    frame.seq = alert.seq;
    JsonWriter json(&frame.text);
    WriteAlert(alert, json);
    since = alert.seq;
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::optional<HttpResponse> Router::ReadPaging(const RequestTarget& target,
                                               std::string_view scope, size_t* limit,
                                               std::string* after) const {
  *limit = options_.default_page_limit;
  after->clear();
  if (const std::string* text = target.Find("limit")) {
    const std::optional<int64_t> value = ParseDecimal(*text);
    if (!value || *value < 1 || static_cast<uint64_t>(*value) > options_.max_page_limit) {
      return ErrorResponse(400, "limit must be an integer from 1 to " +
                                    std::to_string(options_.max_page_limit));
    }
    *limit = static_cast<size_t>(*value);
  }
  if (const std::string* cursor = target.Find("cursor"); cursor != nullptr && !cursor->empty()) {
    std::optional<std::string> decoded = DecodeCursor(*cursor, scope);
    if (!decoded) return ErrorResponse(400, "bad cursor");
    *after = std::move(*decoded);
  }
  return std::nullopt;
}

HttpResponse Router::IngestEvents(const RouteContext& ctx) {
  const std::string media_type = MediaType(ctx.request.content_type);
  BodyFormat format;
  if (media_type == "application/x-ndjson") {
    format = BodyFormat::kNdjson;
  } else if (media_type == "application/json") {
    format = BodyFormat::kJsonArray;
  } else {
    return ErrorResponse(415, "the body must be application/x-ndjson or application/json");
  }
  bool wait_applied = false;
  if (const std::string* wait = ctx.target.Find("wait")) {
    if (*wait != "applied") return ErrorResponse(400, "wait must be \"applied\"");
    wait_applied = true;
  }

  IngestResult result = ingest_.Ingest(ctx.request.body, format);
  switch (result.status) {
    case IngestStatus::kOk:
      break;
    case IngestStatus::kBadBody:
      return ErrorResponse(400, result.message.empty() ? "unusable body" : result.message);
    case IngestStatus::kOverloaded: {
      HttpResponse response = ErrorResponse(429, "ingest is overloaded; retry later");
      response.headers.emplace_back("Retry-After", "1");
      return response;
    }
    case IngestStatus::kLogError:
      return ErrorResponse(503, "the log could not be written; nothing was accepted");
  }
  if (wait_applied &&
      !ingest_.WaitApplied(result.last_position, options_.wait_applied_timeout)) {
    return ErrorResponse(503, "the events are durable but were not applied in time");
  }
  std::string body;
  JsonWriter json(&body);
  WriteIngestResult(result, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::GetPerson(const RouteContext& ctx) {
  const std::string& person = ctx.params[0];
  if (!IsValidEntityId(person)) return ErrorResponse(400, "invalid person id");
  std::optional<PersonView> view = queries_.GetPerson(person);
  if (!view) return ErrorResponse(404, "no live data for this person");
  std::string body;
  JsonWriter json(&body);
  WritePerson(*view, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListExposed(const RouteContext& ctx) {
  const int max_depth = queries_.MaxDepth();
  const std::string* level_text = ctx.target.Find("level");
  const std::optional<int64_t> level = level_text ? ParseDecimal(*level_text) : std::nullopt;
  if (!level || *level < 1 || *level > max_depth) {
    return ErrorResponse(400, "level must be an integer from 1 to " + std::to_string(max_depth));
  }
  std::optional<TimeMs> since;
  if (const std::string* since_text = ctx.target.Find("since")) {
    since = ParseRfc3339(*since_text);
    if (!since) return ErrorResponse(400, "since must be an RFC 3339 time");
  }
  const std::string scope = "exposed:" + std::to_string(*level);
  size_t limit = 0;
  std::string after;
  if (auto error = ReadPaging(ctx.target, scope, &limit, &after)) return std::move(*error);

  const ExposedPage page = queries_.ListExposed(static_cast<int>(*level), since, after, limit);
  std::optional<std::string> next_cursor;
  if (page.next_after) next_cursor = EncodeCursor(scope, *page.next_after);
  std::string body;
  JsonWriter json(&body);
  WriteExposedPage(static_cast<int>(*level), page, next_cursor, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListCases(const RouteContext& ctx) {
  constexpr std::string_view kScope = "cases";
  size_t limit = 0;
  std::string after;
  if (auto error = ReadPaging(ctx.target, kScope, &limit, &after)) return std::move(*error);
  const CasesPage page = queries_.ListCases(after, limit);
  std::optional<std::string> next_cursor;
  if (page.next_after) next_cursor = EncodeCursor(kScope, *page.next_after);
  std::string body;
  JsonWriter json(&body);
  WriteCasesPage(page, next_cursor, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::GetChain(const RouteContext& ctx) {
  const std::string& person = ctx.params[0];
  if (!IsValidEntityId(person)) return ErrorResponse(400, "invalid person id");
  int depth = queries_.MaxDepth();
  if (const std::string* depth_text = ctx.target.Find("depth")) {
    const std::optional<int64_t> value = ParseDecimal(*depth_text);
    if (!value || *value < 1 || *value > kMaxDepthLimit) {
      return ErrorResponse(400,
                           "depth must be an integer from 1 to " + std::to_string(kMaxDepthLimit));
    }
    depth = static_cast<int>(*value);
  }
  std::optional<ChainView> chain = queries_.GetChain(person, depth);
  if (!chain) return ErrorResponse(404, "this person is not a case");
  std::string body;
  JsonWriter json(&body);
  WriteChain(*chain, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListClusters(const RouteContext&) {
  const std::vector<ClusterView> clusters = queries_.ListClusters();
  std::string body;
  JsonWriter json(&body);
  WriteClusters(clusters, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListVenueVisits(const RouteContext& ctx) {
  const std::string& venue = ctx.params[0];
  if (!IsValidEntityId(venue)) return ErrorResponse(400, "invalid venue id");
  const std::string* from_text = ctx.target.Find("from");
  const std::string* to_text = ctx.target.Find("to");
  if (from_text == nullptr || to_text == nullptr) {
    return ErrorResponse(400, "from and to are required");
  }
  const std::optional<TimeMs> from = ParseRfc3339(*from_text);
  const std::optional<TimeMs> to = ParseRfc3339(*to_text);
  if (!from || !to) return ErrorResponse(400, "from and to must be RFC 3339 times");
  if (*from >= *to) return ErrorResponse(400, "from must be before to");
  const std::string scope = "visits:" + venue;
  size_t limit = 0;
  std::string after;
  if (auto error = ReadPaging(ctx.target, scope, &limit, &after)) return std::move(*error);

  const VenueVisitsPage page = queries_.ListVenueVisits(venue, *from, *to, after, limit);
  std::optional<std::string> next_cursor;
  if (page.next_after) next_cursor = EncodeCursor(scope, *page.next_after);
  std::string body;
  JsonWriter json(&body);
  WriteVenueVisits(venue, page, next_cursor, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListHotspots(const RouteContext&) {
  const std::vector<HotspotView> hotspots = queries_.ListHotspots();
  std::string body;
  JsonWriter json(&body);
  WriteHotspots(hotspots, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::ListAlerts(const RouteContext& ctx) {
  uint64_t since = 0;
  if (const std::string* since_text = ctx.target.Find("since")) {
    const std::optional<int64_t> value = ParseDecimal(*since_text);
    if (!value || *value < 0) return ErrorResponse(400, "since must be a non-negative integer");
    since = static_cast<uint64_t>(*value);
  }
  size_t limit = options_.default_page_limit;
  if (const std::string* text = ctx.target.Find("limit")) {
    const std::optional<int64_t> value = ParseDecimal(*text);
    if (!value || *value < 1 || static_cast<uint64_t>(*value) > options_.max_page_limit) {
      return ErrorResponse(400, "limit must be an integer from 1 to " +
                                    std::to_string(options_.max_page_limit));
    }
    limit = static_cast<size_t>(*value);
  }
  AlertsPage page = queries_.ListAlerts(since, limit);
  if (page.alerts.size() > limit) page.alerts.resize(limit);
  page.next_seq = page.alerts.empty() ? std::max(since, page.next_seq) : page.alerts.back().seq;
  std::string body;
  JsonWriter json(&body);
  WriteAlertsPage(page, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::AlertStreamWithoutUpgrade(const RouteContext&) {
  HttpResponse response =
      ErrorResponse(400, "the alert stream is a WebSocket endpoint: send an Upgrade request");
  response.headers.emplace_back("Upgrade", "websocket");
  return response;
}

HttpResponse Router::RunErase(const RouteContext&) {
  if (!options_.erase) return ErrorResponse(503, "erase passes are not available");
  std::string error;
  const std::optional<EraseResult> result = options_.erase(options_.erase_timeout, &error);
  if (!result) return ErrorResponse(503, "the erase pass did not complete: " + error);
  std::string body;
  JsonWriter json(&body);
  json.BeginObject();
  json.Key("erased_events").Uint(result->erased_events);
  json.Key("bytes_reclaimed").Int(result->bytes_reclaimed);
  json.Key("erased_log_events").Uint(result->erased_log_events);
  json.Key("erased_alerts").Uint(result->erased_alerts);
  json.Key("duration_ms").Int(result->duration);
  json.EndObject();
  return JsonResponse(std::move(body));
}

HttpResponse Router::GetStats(const RouteContext&) {
  const StatsView stats = queries_.GetStats();
  std::string body;
  JsonWriter json(&body);
  WriteStats(stats, json);
  return JsonResponse(std::move(body));
}

HttpResponse Router::GetMetrics(const RouteContext&) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  AppendStatsPrometheus(queries_.GetStats(), &response.body);
  metrics_.AppendPrometheus(&response.body);
  stream_metrics_.AppendPrometheus(&response.body);
  if (options_.extra_metrics) options_.extra_metrics(&response.body);
  return response;
}

HttpResponse Router::GetHealthz(const RouteContext&) {
  return JsonResponse(R"({"status":"ok"})");
}

HttpResponse Router::GetReadyz(const RouteContext&) {
  if (options_.ready && !options_.ready()) return ErrorResponse(503, "not ready");
  return JsonResponse(R"({"status":"ready"})");
}

}  // namespace ctrace
