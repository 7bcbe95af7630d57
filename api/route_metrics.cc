#include "api/route_metrics.h"

#include <charconv>

namespace ctrace {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void AppendUint(uint64_t value, std::string* out) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, result.ptr);
}

// Fixed notation ("0.0005", not "5e-04"), shortest that reads back exactly.
void AppendDouble(double value, std::string* out) {
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  out->append(buf, result.ptr);
}

// A label value in the exposition format: backslash, double quote and newline escaped.
void AppendLabelValue(std::string_view value, std::string* out) {
  out->push_back('"');
  for (const char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendFamily(std::string_view name, std::string_view type, std::string_view help,
                  std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendGauge(std::string_view name, std::string_view help, uint64_t value, std::string* out) {
  AppendFamily(name, "gauge", help, out);
  out->append(name).append(" ");
  AppendUint(value, out);
  out->push_back('\n');
}

size_t StatusSlot(int status) {
  for (size_t slot = 0; slot + 1 < RouteMetrics::kStatuses.size(); ++slot) {
    if (RouteMetrics::kStatuses[slot] == status) return slot;
  }
  return RouteMetrics::kStatuses.size() - 1;
}

}  // namespace

std::string_view RouteLabel(RouteId route) {
  switch (route) {
    case RouteId::kIngestEvents: return "/v1/events";
    case RouteId::kPerson: return "/v1/persons/{person}";
    case RouteId::kExposed: return "/v1/exposed";
    case RouteId::kCases: return "/v1/cases";
    case RouteId::kChain: return "/v1/cases/{person}/chain";
    case RouteId::kClusters: return "/v1/clusters";
    case RouteId::kVenueVisits: return "/v1/venues/{venue}/visits";
    case RouteId::kHotspots: return "/v1/hotspots";
    case RouteId::kAlerts: return "/v1/alerts";
    case RouteId::kAlertStream: return "/v1/alerts/stream";
    case RouteId::kAdminErase: return "/v1/admin/erase";
    case RouteId::kStats: return "/v1/stats";
    case RouteId::kMetrics: return "/metrics";
    case RouteId::kHealthz: return "/healthz";
    case RouteId::kReadyz: return "/readyz";
    case RouteId::kUnmatched: return "unmatched";
  }
  return "unmatched";
}

void RouteMetrics::Record(RouteId route, int status, std::chrono::nanoseconds latency) {
  PerRoute& r = routes_[static_cast<size_t>(route)];
  r.by_status[StatusSlot(status)].fetch_add(1, kRelaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  size_t bucket = 0;
  while (bucket < kBucketBounds.size() && seconds > kBucketBounds[bucket]) ++bucket;
  r.buckets[bucket].fetch_add(1, kRelaxed);
  r.sum_ns.fetch_add(static_cast<uint64_t>(latency.count() < 0 ? 0 : latency.count()), kRelaxed);
  r.count.fetch_add(1, kRelaxed);
}

uint64_t RouteMetrics::RequestCount(RouteId route, int status) const {
  return routes_[static_cast<size_t>(route)].by_status[StatusSlot(status)].load(kRelaxed);
}

void RouteMetrics::AppendPrometheus(std::string* out) const {
  AppendFamily("ctrace_http_requests_total", "counter",
               "HTTP requests answered by the router, by route and status code.", out);
  for (size_t route = 0; route < kRouteCount; ++route) {
    const PerRoute& r = routes_[route];
    for (size_t slot = 0; slot < kStatuses.size(); ++slot) {
      const uint64_t n = r.by_status[slot].load(kRelaxed);
      if (n == 0) continue;
      out->append("ctrace_http_requests_total{route=");
      AppendLabelValue(RouteLabel(static_cast<RouteId>(route)), out);
      out->append(",code=");
      AppendLabelValue(kStatuses[slot] == 0 ? "other" : std::to_string(kStatuses[slot]), out);
      out->append("} ");
      AppendUint(n, out);
      out->push_back('\n');
    }
  }

  AppendFamily("ctrace_http_request_duration_seconds", "histogram",
               "Time the router took to answer, by route.", out);
  for (size_t route = 0; route < kRouteCount; ++route) {
    const PerRoute& r = routes_[route];
    const uint64_t count = r.count.load(kRelaxed);
    if (count == 0) continue;
    std::string label;
    AppendLabelValue(RouteLabel(static_cast<RouteId>(route)), &label);
    uint64_t cumulative = 0;
    for (size_t bucket = 0; bucket <= kBucketBounds.size(); ++bucket) {
      cumulative += r.buckets[bucket].load(kRelaxed);
      out->append("ctrace_http_request_duration_seconds_bucket{route=").append(label);
      out->append(",le=\"");
      if (bucket < kBucketBounds.size()) {
        AppendDouble(kBucketBounds[bucket], out);
      } else {
        out->append("+Inf");
      }
      out->append("\"} ");
      // A scrape racing a Record may see the bucket before the count; keep +Inf == count.
      AppendUint(bucket < kBucketBounds.size() ? cumulative : count, out);
      out->push_back('\n');
    }
    out->append("ctrace_http_request_duration_seconds_sum{route=").append(label).append("} ");
    AppendDouble(static_cast<double>(r.sum_ns.load(kRelaxed)) / 1e9, out);
    out->push_back('\n');
    out->append("ctrace_http_request_duration_seconds_count{route=").append(label).append("} ");
    AppendUint(count, out);
    out->push_back('\n');
  }
}

void AppendStatsPrometheus(const StatsView& stats, std::string* out) {
  AppendFamily("ctrace_events_total", "counter",
               "Events judged by ingest, by type and outcome (or rejection reason).", out);
  for (const auto& [event, n] : stats.events) {
    out->append("ctrace_events_total{event=");
    AppendLabelValue(event, out);
    out->append("} ");
    AppendUint(n, out);
    out->push_back('\n');
  }
  AppendFamily("ctrace_persons", "gauge", "People at each level (0: cases).", out);
  for (const auto& [level, n] : stats.persons_by_level) {
    out->append("ctrace_persons{level=");
    AppendLabelValue(std::to_string(level), out);
    out->append("} ");
    AppendUint(n, out);
    out->push_back('\n');
  }
  AppendGauge("ctrace_cases", "Live cases.", stats.cases, out);
  AppendGauge("ctrace_visits", "Live visits.", stats.visits, out);
  AppendGauge("ctrace_log_end_position", "The next log position to be written.", stats.log_end,
              out);
  AppendGauge("ctrace_applied_position", "The next log position to be applied.", stats.applied,
              out);
  AppendGauge("ctrace_apply_lag_events", "Log positions written but not yet applied.",
              stats.log_end > stats.applied ? stats.log_end - stats.applied : 0, out);
  AppendFamily("ctrace_uptime_seconds", "gauge", "Seconds since the service started.", out);
  out->append("ctrace_uptime_seconds ");
  AppendDouble(static_cast<double>(stats.uptime) / 1000.0, out);
  out->push_back('\n');
  AppendGauge("ctrace_alerts_next_seq", "The seq the next alert will get.", stats.alerts_next_seq,
              out);
  if (stats.oldest_event_time) {
    AppendFamily("ctrace_oldest_event_timestamp_seconds", "gauge",
                 "Event time of the oldest live event (state store or embedded log).", out);
    out->append("ctrace_oldest_event_timestamp_seconds ");
    AppendDouble(static_cast<double>(*stats.oldest_event_time) / 1000.0, out);
    out->push_back('\n');
  }
  if (stats.last_erase) {
    const EraseStats& erase = *stats.last_erase;
    AppendFamily("ctrace_erase_last_timestamp_seconds", "gauge",
                 "When the last erase pass finished (service clock).", out);
    out->append("ctrace_erase_last_timestamp_seconds ");
    AppendDouble(static_cast<double>(erase.finished_at) / 1000.0, out);
    out->push_back('\n');
    AppendFamily("ctrace_erase_last_duration_seconds", "gauge",
                 "Wall time of the last erase pass.", out);
    out->append("ctrace_erase_last_duration_seconds ");
    AppendDouble(static_cast<double>(erase.duration) / 1000.0, out);
    out->push_back('\n');
    AppendGauge("ctrace_erase_last_bytes_reclaimed", "Bytes the last erase pass reclaimed.",
                static_cast<uint64_t>(erase.bytes_reclaimed < 0 ? 0 : erase.bytes_reclaimed), out);
    AppendGauge("ctrace_erase_last_erased_events", "Events the last erase pass removed.",
                erase.erased_events, out);
  }
}

void AlertStreamMetrics::AppendPrometheus(std::string* out) const {
  const int64_t streams = open();
  AppendGauge("ctrace_alert_streams_open", "Alert WebSocket streams open.",
              static_cast<uint64_t>(streams < 0 ? 0 : streams), out);
  AppendFamily("ctrace_alert_frames_sent_total", "counter",
               "Alert frames written to WebSocket clients.", out);
  out->append("ctrace_alert_frames_sent_total ");
  AppendUint(frames_sent(), out);
  out->push_back('\n');
  AppendFamily("ctrace_alert_streams_closed_slow_total", "counter",
               "Alert streams closed with 1008 because the client did not keep up.", out);
  out->append("ctrace_alert_streams_closed_slow_total ");
  AppendUint(closed_slow(), out);
  out->push_back('\n');
}

}  // namespace ctrace
