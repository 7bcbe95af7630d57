// A small synchronous WebSocket client for tests and benches (Boost.Beast), for the alert
// stream (GET /v1/alerts/stream). Every operation is bounded by a timeout; no exceptions escape.
//
// Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/status.h"

namespace ctrace::test_support {

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects to ws://HOST:PORT`target` (e.g. "/v1/alerts/stream?since=0"), sending
  // "Authorization: Bearer TOKEN" when `bearer_token` is not empty.
  Status Connect(const std::string& host, uint16_t port, const std::string& target,
                 const std::string& bearer_token = "ctrace-test-token",
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Reads one message into *text. On failure the message says why; when the server closed the
  // stream, closed() is true and close_code()/close_reason() tell how.
  Status Read(std::string* text, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Sends a close frame and waits for the answer.
  Status Close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  bool closed() const;
  int close_code() const;
  std::string close_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace::test_support
