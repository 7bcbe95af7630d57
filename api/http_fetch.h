// A small synchronous HTTP/1.1 GET client, for tools that read a running service's API
// (`ctrace replay --verify-url`). One connection per fetch; every step is bounded by a timeout
// and the body by a size limit.
//
// Thread-safety: HttpGet may be called from any thread; each call has its own I/O context.
// No exceptions escape.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctrace {

struct HttpFetchOptions {
  // Bound on one request: resolve, connect, write and read. Default: 60 s.
  std::chrono::milliseconds timeout{60'000};
  // Sent as "Authorization: Bearer TOKEN" when not empty. Default: none.
  std::string bearer_token;
  // Largest response body accepted, bytes. Default: 256 MiB.
  uint64_t max_body_bytes = 256ull << 20;
};

struct HttpFetchResult {
  int status = 0;      // 0: no answer; `error` says why
  std::string body;
  std::string error;
};

// GET http://host:port/target (`target`: path and query, already percent-encoded).
HttpFetchResult HttpGet(const std::string& host, uint16_t port, std::string_view target,
                        const HttpFetchOptions& options);

// Splits "http://HOST:PORT" (a trailing "/" allowed; "[v6]" hosts too). Returns nullopt on
// anything else (https is not supported: put a TLS-terminating proxy's plain side in front).
struct HttpAddress {
  std::string host;
  uint16_t port = 80;
};
std::optional<HttpAddress> ParseHttpUrl(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters, for query values.
std::string UrlEncode(std::string_view text);

}  // namespace ctrace
