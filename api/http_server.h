// The HTTP/1.1 server of the API: accepts connections and moves bytes between them and a
// Router. Request handling is all in the Router; the server only reads requests, enforces
// limits (body size, header size, timeouts, connections) and writes the answers.
//
// Each connection runs on its own strand; requests on one connection are answered in order
// (keep-alive). Handlers run on the I/O threads, so `io_threads` bounds how many requests are
// handled at once (a handler may block, e.g. POST /v1/events?wait=applied).
//
// GET /v1/alerts/stream (a WebSocket upgrade, api.md "Alerts") is handed over to a WebSocket
// session on the same strand: it sends the alerts after `since` read page by page through the
// Router, then live ones as the AlertFeed announces commits, one text frame each; it never
// holds more than `send_queue_frames` frames, so a slow client costs the server no memory
// beyond that: its frames are read from the store when it is ready for them. A client whose
// socket accepts nothing for `stall_timeout` while frames wait is closed with 1008.
//
// Thread-safety: Start, Stop and port may be called from any one thread at a time (not from a
// handler). The Router and the AlertFeed must outlive the HttpServer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ctrace {

class AlertFeed;
class Router;

// The alert stream's limits (GET /v1/alerts/stream).
struct AlertStreamOptions {
  // Frames read ahead per client, at most; also the most alerts read from the store at once.
  // Default: 1024.
  size_t send_queue_frames = 1024;
  // A client whose socket accepts no frame for this long while frames wait is too slow to keep
  // up: it is closed with 1008 (policy violation). Default: 10 s.
  std::chrono::milliseconds stall_timeout{10'000};
  // How long a closing stream may take to get its close frame out and the client's answer in
  // before the connection is dropped (also the WebSocket handshake timeout). Default: 5 s.
  std::chrono::milliseconds close_timeout{5'000};
  // A client that sends nothing (no pong either) for this long is dropped; the server pings it
  // at half this time (Beast's idle timeout with keep-alive pings). Default: 60 s.
  std::chrono::milliseconds idle_timeout{60'000};
  // The largest message a client may send (clients only need control frames). Default: 4 KiB.
  size_t read_message_max = 4096;
};

struct HttpServerOptions {
  // Threads running the I/O and the handlers. Default: 4.
  int io_threads = 4;
  // The largest request body; a larger one is answered 413 too_large and the connection is
  // closed. Default: 64 MiB.
  size_t body_limit = 64u << 20;
  // The largest request header block; a larger one is answered 400 and closed. Default: 16 KiB.
  size_t header_limit = 16u << 10;
  // How long a connection may take to send a request's header, counted from when the server
  // starts waiting for it (so it also bounds how long a keep-alive connection may idle).
  // Default: 30 s.
  std::chrono::milliseconds header_timeout{30'000};
  // How long a request's body may take to arrive after its header. Default: 120 s.
  std::chrono::milliseconds body_timeout{120'000};
  // How long writing one answer may take. Default: 60 s.
  std::chrono::milliseconds write_timeout{60'000};
  // After answering an error that closes the connection (413, 400), how long unread request
  // bytes are drained so that the client gets to read the answer. Default: 2 s.
  std::chrono::milliseconds linger_timeout{2'000};
  // Connections open at once; a connection over the limit is closed at once. Default: 1024.
  size_t max_connections = 1024;
  // GET /v1/alerts/stream.
  AlertStreamOptions alert_stream;
};

class HttpServer {
 public:
  // `router` and `alerts` must outlive the HttpServer. Without `alerts` (null) the alert
  // stream answers 503.
  HttpServer(HttpServerOptions options, Router& router, AlertFeed* alerts = nullptr);
  // Stops the server (with no grace) if it is running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `host`:`port` (an address or a name; port 0 picks a free port), listens and starts
  // the I/O threads. Returns false and sets *error when the server cannot listen. A server is
  // started at most once.
  bool Start(const std::string& host, uint16_t port, std::string* error);

  // The port listened on (after a successful Start); 0 before.
  uint16_t port() const;

  // Stops accepting and closes idle connections at once; requests already being received or
  // handled are finished and answered (with "Connection: close") for up to `grace`; alert
  // streams are closed with 1001 (going away); then every connection is closed and the I/O
  // threads are joined. Returns once they are: a handler that
  // is still running after `grace` is waited for (the Router bounds its waits). Idempotent.
  void Stop(std::chrono::milliseconds grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace
