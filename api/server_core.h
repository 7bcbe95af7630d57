// Internal to api/ (included by http_server.cc and websocket_session.cc only; it pulls in
// Asio): what the accept loop, the HTTP sessions and the alert stream sessions share.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "api/beast.h"
#include "api/http_server.h"

namespace ctrace {

class AlertFeed;
class Router;

// One connection the server tracks, so that Stop reaches it and max_connections counts it.
class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  // Called on executor() once the server stops.
  virtual void OnServerStop() = 0;
  // The connection's strand.
  virtual boost::asio::any_io_executor executor() = 0;
};

// A live alert stream: told (on any I/O thread) that alerts up to `next_seq` - 1 are committed.
// It must only hand the work to its own strand.
class AlertStreamListener {
 public:
  virtual ~AlertStreamListener() = default;
  virtual void OnAlertsCommitted(uint64_t next_seq) = 0;
};

// Lives in HttpServer::Impl, which outlives every session (sessions are destroyed at the
// latest when the io_context is, inside Stop). Thread-safety: every method from any thread.
class ServerCore {
 public:
  ServerCore(HttpServerOptions opts, Router& r, AlertFeed* feed)
      : options(std::move(opts)), router(r), alerts(feed) {}

  // Adds a connection unless max_connections are open.
  bool TryRegister(const std::shared_ptr<ServerConnection>& connection);
  // Adds a connection that replaces one already counted (a WebSocket upgrade).
  void RegisterUpgrade(const std::shared_ptr<ServerConnection>& connection);
  void Unregister(ServerConnection* connection);
  std::vector<std::shared_ptr<ServerConnection>> Connections();
  // Waits until no connection is left or `deadline` passes; true when none is left.
  bool WaitNoConnections(std::chrono::steady_clock::time_point deadline);

  // Alert streams told by NotifyStreams.
  void AddStream(const std::shared_ptr<AlertStreamListener>& stream);
  void RemoveStream(AlertStreamListener* stream);
  // Tells every stream; runs on an I/O thread (posted there by the AlertFeed's listener).
  void NotifyStreams(uint64_t next_seq);

  const HttpServerOptions options;
  Router& router;
  AlertFeed* const alerts;  // null: no alert stream
  std::atomic<bool> stopping{false};

 private:
  std::mutex mu_;
  std::condition_variable no_connections_;
  std::unordered_map<ServerConnection*, std::weak_ptr<ServerConnection>> connections_;
  std::mutex streams_mu_;
  std::unordered_map<AlertStreamListener*, std::weak_ptr<AlertStreamListener>> streams_;
};

}  // namespace ctrace
