// Per-route request counters and latency histograms the Router keeps itself, and the Prometheus
// text format (0.0.4) of them and of the service's StatsView (api.md GET /metrics).
//
// Thread-safety: Record and AppendPrometheus may be called from any thread at once (relaxed
// atomics: a scrape may see one request's counters a moment before its histogram).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "processors/views.h"

namespace ctrace {

// The routes of api.md that the Router serves; kUnmatched counts requests for no route.
enum class RouteId {
  kIngestEvents,
  kPerson,
  kExposed,
  kCases,
  kChain,
  kClusters,
  kVenueVisits,
  kHotspots,
  kAlerts,
  kAlertStream,  // counted once per upgrade request: 101 when accepted
  kAdminErase,
  kStats,
  kMetrics,
  kHealthz,
  kReadyz,
  kUnmatched,
};
inline constexpr size_t kRouteCount = static_cast<size_t>(RouteId::kUnmatched) + 1;

// The path template of a route ("/v1/persons/{person}"): a metrics label free of personal data.
std::string_view RouteLabel(RouteId route);

class RouteMetrics {
 public:
  RouteMetrics() = default;
  RouteMetrics(const RouteMetrics&) = delete;
  RouteMetrics& operator=(const RouteMetrics&) = delete;

  void Record(RouteId route, int status, std::chrono::nanoseconds latency);

  // Appends `ctrace_http_requests_total{route,code}` and the histogram
  // `ctrace_http_request_duration_seconds{route}` for every route that has seen a request.
  void AppendPrometheus(std::string* out) const;

  // The number of requests recorded for `route` with `status` (for tests).
  uint64_t RequestCount(RouteId route, int status) const;

  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 14> kBucketBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  // The statuses counted by code; any other counts as "other".
  static constexpr std::array<int, 13> kStatuses = {101, 200, 400, 401, 403, 404, 405,
                                                    413, 415, 429, 500, 503, 0};

 private:
  struct PerRoute {
    std::array<std::atomic<uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<uint64_t>, kBucketBounds.size() + 1> buckets{};  // last: +Inf only
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<PerRoute, kRouteCount> routes_{};
};

// What the alert streams (GET /v1/alerts/stream) did; updated by the server's WebSocket
// sessions. Thread-safety: every method may be called from any thread at once.
class AlertStreamMetrics {
 public:
  void Opened() { open_.fetch_add(1, std::memory_order_relaxed); }
  void Closed() { open_.fetch_sub(1, std::memory_order_relaxed); }
  void FrameSent() { frames_.fetch_add(1, std::memory_order_relaxed); }
  void ClosedSlow() { slow_.fetch_add(1, std::memory_order_relaxed); }

  int64_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t frames_sent() const { return frames_.load(std::memory_order_relaxed); }
  uint64_t closed_slow() const { return slow_.load(std::memory_order_relaxed); }

  // Appends ctrace_alert_streams_open, ctrace_alert_frames_sent_total and
  // ctrace_alert_streams_closed_slow_total.
  void AppendPrometheus(std::string* out) const;

 private:
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> frames_{0};
  std::atomic<uint64_t> slow_{0};
};

// Appends the StatsView counters: ctrace_events_total{event}, ctrace_persons{level},
// ctrace_cases, ctrace_visits, ctrace_log_end_position, ctrace_applied_position,
// ctrace_apply_lag_events, ctrace_uptime_seconds, ctrace_alerts_next_seq, and when known
// ctrace_oldest_event_timestamp_seconds and the last erase pass: ctrace_erase_last_*.
void AppendStatsPrometheus(const StatsView& stats, std::string* out);

}  // namespace ctrace
