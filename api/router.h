// Request handling for the HTTP API of api.md: a function of an HttpRequest that returns an
// HttpResponse, calling the query and ingest services; it never sees a socket.
//
// Routes served: POST /v1/events, GET /v1/persons/{person}, /v1/exposed, /v1/cases,
// /v1/cases/{person}/chain, /v1/clusters, /v1/venues/{venue}/visits, /v1/hotspots, /v1/alerts,
// /v1/stats, /metrics, /healthz, /readyz, POST /v1/admin/erase. Any other path is 404; a known
// path with another method is 405. GET /v1/alerts/stream is a WebSocket endpoint: the server
// asks AdmitAlertStream before upgrading and reads the frames through ReadAlertFrames, so the
// stream's authorization, parameters and JSON are decided here too.
//
// Every request passes one authorization hook (RouterOptions::authorize) with its RouteClass
// after the route is matched and before any parameter is read, so tokens and roles (api.md
// "Roles and tokens") plug in without touching the handlers.
//
// Thread-safety: Handle may be called from any number of threads at once. The services passed
// to the constructor must outlive the Router and be safe to call from several threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "api/request_target.h"
#include "api/route_metrics.h"
#include "ingest/ingest_service.h"
#include "processors/query_service.h"

namespace ctrace {

// What a route gives away, which decides the roles that may call it (api.md "Roles and
// tokens"). The intended table: kPublic: anyone, no token; kIngest: ingest, admin;
// kPersonalData: epidemiologist, admin; kDashboard: epidemiologist, dashboard (person ids
// pseudonymized), admin; kStats: epidemiologist, dashboard, ops, admin; kOps: ops, admin.
enum class RouteClass {
  kPublic,        // GET /healthz
  kIngest,        // POST /v1/events
  kPersonalData,  // persons, exposed, cases, chains, venue visits
  kDashboard,     // clusters, hotspots, alerts (list and stream)
  kStats,         // GET /v1/stats: counts only
  kOps,           // GET /metrics, GET /readyz, POST /v1/admin/erase (later: audit)
};

std::string_view RouteClassName(RouteClass route_class);  // "public", "ingest", ...

// Returns the answer to send instead (ErrorResponse(401, ...) or (403, ...)) when `request`
// may not call a route of `route_class`, or nullopt to let it through. Called from many
// threads at once; must not throw.
using AuthorizeFn =
    std::function<std::optional<HttpResponse>(const HttpRequest& request, RouteClass route_class)>;

// What POST /v1/admin/erase answers (from processors/erase_pass.h's EraseReport).
struct EraseResult {
  uint64_t erased_events = 0;      // events removed from the state
  uint64_t erased_log_events = 0;  // events removed from the embedded log
  uint64_t erased_alerts = 0;      // alerts of people whose events have all expired
  int64_t bytes_reclaimed = 0;     // data directory size before minus after
  DurationMs duration = 0;         // wall time of the pass
};

// Runs one erase pass now and waits for it at most `timeout`. Returns nullopt and sets *error
// (no personal data) when it failed or did not finish in time. Called from an I/O thread.
using EraseFn =
    std::function<std::optional<EraseResult>(std::chrono::milliseconds timeout, std::string* error)>;

// One alert as the text of a WebSocket frame (the JSON object of api.md "Alerts").
struct AlertFrame {
  uint64_t seq = 0;
  std::string text;
};

// The Router's verdict on a WebSocket upgrade request.
struct StreamAdmission {
  enum class Verdict {
    kNotAStream,  // not a stream path: answer it as a plain request (Handle)
    kRefused,     // answer `refusal` (401/403/400/405) instead of upgrading
    kAccepted,    // upgrade and stream the alerts after `since`
  };
  Verdict verdict = Verdict::kNotAStream;
  std::optional<HttpResponse> refusal;
  uint64_t since = 0;
};

struct RouterOptions {
  // The page size when a request gives no `limit`. Default: 100.
  size_t default_page_limit = 100;
  // The largest `limit` accepted; a larger one is a 400. Default: 10,000.
  size_t max_page_limit = 10'000;
  // How long `POST /v1/events?wait=applied` waits for the processors before answering 503
  // (the events are durable by then). Default: 30 s.
  std::chrono::milliseconds wait_applied_timeout{30'000};
  // GET /readyz answers 200 while this returns true, else 503; called on every request to
  // /readyz from any thread. Default: empty, meaning always ready.
  std::function<bool()> ready;
  // The authorization hook (see AuthorizeFn). Default: empty, meaning every request is let
  // through.
  AuthorizeFn authorize;
  // POST /v1/admin/erase runs this; empty: the route answers 503. Default: empty.
  EraseFn erase;
  // How long POST /v1/admin/erase waits for its pass before answering 503 (the pass still
  // completes). Default: 10 min.
  std::chrono::milliseconds erase_timeout{600'000};
  // Appends more Prometheus text to GET /metrics (e.g. the Kafka alert producer's figures);
  // called from any thread. Default: empty, nothing more.
  std::function<void(std::string* out)> extra_metrics;
};

class Router {
 public:
  // `queries` and `ingest` must outlive the Router.
  Router(QueryService& queries, IngestService& ingest, RouterOptions options = {});
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Answers one request. Never throws: an exception from a service becomes a 500.
  HttpResponse Handle(const HttpRequest& request);

  // GET /v1/alerts/stream?since=SEQ as a WebSocket upgrade: matches the path, runs the
  // authorization hook (RouteClass::kDashboard) and reads `since` (default 0). Never throws.
  StreamAdmission AdmitAlertStream(const HttpRequest& request);

  // The alerts after `since`, at most `limit`, one frame each, seq ascending; fewer than
  // `limit` means none follow yet. Throws what the QueryService throws.
  std::vector<AlertFrame> ReadAlertFrames(uint64_t since, size_t limit);

  const RouteMetrics& metrics() const { return metrics_; }
  // Counters of the alert streams, kept by the server's sessions; shown in /metrics.
  AlertStreamMetrics& stream_metrics() { return stream_metrics_; }
  const AlertStreamMetrics& stream_metrics() const { return stream_metrics_; }

 private:
  struct RouteContext {
    const HttpRequest& request;
    const RequestTarget& target;
    const std::vector<std::string>& params;  // the decoded {person}/{venue} path segments
  };
  using Handler = HttpResponse (Router::*)(const RouteContext&);
  struct Route;
  static const std::vector<Route>& Routes();

  HttpResponse Dispatch(const HttpRequest& request, RouteId* route_id);

  HttpResponse IngestEvents(const RouteContext& ctx);
  HttpResponse GetPerson(const RouteContext& ctx);
  HttpResponse ListExposed(const RouteContext& ctx);
  HttpResponse ListCases(const RouteContext& ctx);
  HttpResponse GetChain(const RouteContext& ctx);
  HttpResponse ListClusters(const RouteContext& ctx);
  HttpResponse ListVenueVisits(const RouteContext& ctx);
  HttpResponse ListHotspots(const RouteContext& ctx);
  HttpResponse ListAlerts(const RouteContext& ctx);
  HttpResponse AlertStreamWithoutUpgrade(const RouteContext& ctx);
  HttpResponse RunErase(const RouteContext& ctx);
  HttpResponse GetStats(const RouteContext& ctx);
  HttpResponse GetMetrics(const RouteContext& ctx);
  HttpResponse GetHealthz(const RouteContext& ctx);
  HttpResponse GetReadyz(const RouteContext& ctx);

  // Reads `limit` and `cursor` for a list of `scope`; an error answer when either is bad.
  std::optional<HttpResponse> ReadPaging(const RequestTarget& target, std::string_view scope,
                                         size_t* limit, std::string* after) const;

  QueryService& queries_;
  IngestService& ingest_;
  const RouterOptions options_;
  RouteMetrics metrics_;
  AlertStreamMetrics stream_metrics_;
};

}  // namespace ctrace
