// The HTTP/1.1 server of the API: accepts connections and moves bytes between them and a
// Router. Request handling is all in the Router; the server only reads requests, enforces
// limits (body size, header size, timeouts, connections) and writes the answers.
//
// Each connection runs on its own strand; requests on one connection are answered in order
// (keep-alive). Handlers run on the I/O threads, so `io_threads` bounds how many requests are
// handled at once (a handler may block, e.g. POST /v1/events?wait=applied).
//
// Thread-safety: Start, Stop and port may be called from any one thread at a time (not from a
// handler). The Router must outlive the HttpServer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ctrace {

class Router;

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
};

class HttpServer {
 public:
  // `router` must outlive the HttpServer.
  HttpServer(HttpServerOptions options, Router& router);
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
  // handled are finished and answered (with "Connection: close") for up to `grace`; then every
  // connection is closed and the I/O threads are joined. Returns once they are: a handler that
  // is still running after `grace` is waited for (the Router bounds its waits). Idempotent.
  void Stop(std::chrono::milliseconds grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace
