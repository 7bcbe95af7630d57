// Internal to api/ (included by http_server.cc and websocket_session.cc only; it pulls in
// Beast's WebSocket): one GET /v1/alerts/stream connection after the upgrade.
//
// The session only moves bytes. Frames come from Router::ReadAlertFrames (the JSON is the
// Router's), read page by page after the last seq queued, at most
// AlertStreamOptions::send_queue_frames at a time: the backlog first, then whatever the
// AlertFeed announces. Because it reads on demand instead of buffering what it is told about,
// a client that falls behind costs no memory beyond its queue; one whose socket accepts
// nothing for `stall_timeout` while frames wait is closed with 1008 and a reason.
//
// Resume: the frames are the alerts with seq > since in seq order, each once, so a client that
// reconnects with the last seq it saw misses nothing and gets nothing twice.
//
// Thread-safety: everything runs on the connection's strand, except OnAlertsCommitted, which
// may be called from any thread and only posts to the strand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/beast/websocket.hpp>

#include "api/beast.h"
#include "api/server_core.h"

namespace ctrace {

class WebSocketSession : public ServerConnection,
                         public AlertStreamListener,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  // Streams the alerts after `since`. `core` must outlive the session.
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, ServerCore& core, uint64_t since);
  ~WebSocketSession() override;

  // Answers the upgrade `request` (101) and starts streaming. Call once, after registering the
  // session with the core.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);

  void OnServerStop() override;
  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
  void OnAlertsCommitted(uint64_t next_seq) override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void OnWake();
  // Reads frames from the store into the queue while it has room and the store has more, then
  // starts writing.
  void Fill();
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void WatchStall();
  void OnStallTimer(boost::beast::error_code ec);
  void DoClose(boost::beast::websocket::close_reason reason);
  void OnClose(boost::beast::error_code ec);
  void OnCloseDeadline(boost::beast::error_code ec);
  // The connection is over (read failed or closed): stop the timers.
  void Finish();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  ServerCore& core_;
  const AlertStreamOptions& options_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer read_buffer_;
  boost::asio::steady_timer stall_timer_;
  boost::asio::steady_timer close_timer_;

  std::deque<std::string> queue_;  // frames read, not yet written; the front is being written
  uint64_t last_queued_ = 0;       // the seq of the last frame queued (`since` at first)
  bool caught_up_ = false;         // the last read found nothing more
  bool writing_ = false;
  bool watching_ = false;          // stall_timer_ is armed
  std::chrono::steady_clock::time_point last_progress_;
  bool opened_ = false;            // the handshake succeeded
  bool closing_ = false;
  bool finished_ = false;

  std::atomic<bool> wake_pending_{false};
};

}  // namespace ctrace
