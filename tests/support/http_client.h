// A small synchronous HTTP/1.1 client for tests, on Boost.Beast. Keeps one connection alive
// between GETs; every POST goes on a fresh connection so that a stale keep-alive connection can
// never make us send an ingest batch twice.
//
// Not thread-safe: one client per thread. No exceptions escape; failures come back as
// status 0 with `error` set.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ctrace::test_support {

struct HttpResponse {
  int status = 0;            // 0: no answer (connect failed, timeout, bad response)
  std::string body;
  std::string content_type;
  std::string error;         // set when status == 0
};

struct HttpClientOptions {
  // Bound on one request: connect + write + read. Default: 60 s.
  std::chrono::milliseconds timeout{60000};
  // Sent as "Authorization: Bearer TOKEN" when not empty. Default: a dummy token.
  std::string bearer_token = "ctrace-test-token";
  // Largest response body accepted. Default: 256 MiB.
  uint64_t max_body_bytes = 256ull << 20;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, HttpClientOptions options = {});
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is the path and query, already percent-encoded ("/v1/exposed?level=1").
  HttpResponse Get(std::string_view target);
  HttpResponse Post(std::string_view target, std::string body, std::string_view content_type);

  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::string host_;
  uint16_t port_;
  HttpClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), for
// path segments and query values.
std::string UrlEncode(std::string_view text);

}  // namespace ctrace::test_support
