#include "api/websocket_session.h"

#include <algorithm>
#include <exception>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/router.h"
#include "processors/alert_feed.h"

namespace ctrace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using beast::error_code;

WebSocketSession::WebSocketSession(asio::ip::tcp::socket&& socket, ServerCore& core,
                                   uint64_t since)
    : ws_(std::move(socket)),
      core_(core),
      options_(core.options.alert_stream),
      stall_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()),
      last_queued_(since) {}

WebSocketSession::~WebSocketSession() {
  core_.RemoveStream(this);
  if (opened_) core_.router.stream_metrics().Closed();
  core_.Unregister(this);
}

void WebSocketSession::Run(http::request<http::string_body> request) {
  upgrade_ = std::move(request);
  asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    // Beast's own timeouts from here on: the TCP stream's would cut an idle stream.
    beast::get_lowest_layer(self->ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = self->options_.close_timeout;
    timeouts.idle_timeout = self->options_.idle_timeout;
    timeouts.keep_alive_pings = true;
    self->ws_.set_option(timeouts);
    self->ws_.read_message_max(self->options_.read_message_max);
    self->ws_.async_accept(self->upgrade_,
                           beast::bind_front_handler(&WebSocketSession::OnAccept, self));
  });
}

void WebSocketSession::OnAccept(error_code ec) {
  upgrade_ = {};
  if (ec) return Finish();
  opened_ = true;
  core_.router.stream_metrics().Opened();
  if (core_.stopping.load()) {
    DoRead();
    return DoClose({websocket::close_code::going_away, "server stopping"});
  }
  // Listen before the first read: a commit after it is announced, one before it is read.
  core_.AddStream(shared_from_this());
  DoRead();
  Fill();
}

void WebSocketSession::DoRead() {
  ws_.async_read(read_buffer_, beast::bind_front_handler(&WebSocketSession::OnRead,
                                                         shared_from_this()));
}

void WebSocketSession::OnRead(error_code ec, std::size_t) {
  // Closed by either side, reset, idle timeout, a message over read_message_max: the end.
  if (ec) return Finish();
  // Clients have nothing to say on this stream; what they send is dropped.
  read_buffer_.consume(read_buffer_.size());
  DoRead();
}

void WebSocketSession::OnAlertsCommitted(uint64_t) {
  // Coalesced: one wake-up in flight at a time; it reads whatever is committed by then.
  if (wake_pending_.exchange(true)) return;
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->wake_pending_.store(false);
    self->OnWake();
  });
}

void WebSocketSession::OnWake() {
  caught_up_ = false;
  Fill();
}

void WebSocketSession::Fill() {
  if (closing_ || finished_) return;
  const size_t capacity = std::max<size_t>(1, options_.send_queue_frames);
  while (!caught_up_ && queue_.size() < capacity) {
    const size_t want = capacity - queue_.size();
    std::vector<AlertFrame> frames;
    try {
      frames = core_.router.ReadAlertFrames(last_queued_, want);
    } catch (const std::exception& e) {
      spdlog::error("component=http event=alert_stream_read_error what=\"{}\"", e.what());
      return DoClose({websocket::close_code::internal_error, "alerts could not be read"});
    }
    for (AlertFrame& frame : frames) {
      last_queued_ = frame.seq;
      queue_.push_back(std::move(frame.text));
    }
    if (frames.size() < want) caught_up_ = true;
  }
  if (!writing_ && !queue_.empty()) DoWrite();
}

void WebSocketSession::DoWrite() {
  writing_ = true;
  // A stall is counted from the start of a write or the end of the previous one.
  last_progress_ = std::chrono::steady_clock::now();
  if (!watching_) WatchStall();
  ws_.text(true);
  ws_.async_write(asio::buffer(queue_.front()),
                  beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
}

void WebSocketSession::OnWrite(error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return;  // the connection is broken: the pending read ends the session
  queue_.pop_front();
  core_.router.stream_metrics().FrameSent();
  last_progress_ = std::chrono::steady_clock::now();
  if (closing_) return;
  // Refill at half, so that reads from the store come in pages rather than one per frame.
  if (queue_.size() <= std::max<size_t>(1, options_.send_queue_frames) / 2) Fill();
  if (!writing_ && !queue_.empty()) DoWrite();
}

// One timer per session, re-armed from the last progress rather than per frame.
void WebSocketSession::WatchStall() {
  watching_ = true;
  stall_timer_.expires_at(last_progress_ + options_.stall_timeout);
  stall_timer_.async_wait(
      beast::bind_front_handler(&WebSocketSession::OnStallTimer, shared_from_this()));
}

void WebSocketSession::OnStallTimer(error_code ec) {
  watching_ = false;
  if (ec || closing_ || finished_ || !writing_) return;
  if (std::chrono::steady_clock::now() - last_progress_ < options_.stall_timeout) {
    return WatchStall();
  }
  core_.router.stream_metrics().ClosedSlow();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.stall_timeout).count();
  spdlog::info("component=http event=alert_stream_too_slow last_seq_queued={} stall_ms={}",
               last_queued_, ms);
  DoClose({websocket::close_code::policy_error,
           "too slow: no alert frame accepted for " + std::to_string(ms) +
               " ms; reconnect with since=<last seq received>"});
}

void WebSocketSession::DoClose(websocket::close_reason reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  // Drop what is not on the wire yet; the frame being written (the front) must stay.
  if (writing_) {
    queue_.erase(queue_.begin() + 1, queue_.end());
  } else {
    queue_.clear();
  }
  // A close frame queued behind a write that never ends, or a client that never answers it,
  // must not keep the connection: drop it after close_timeout.
  close_timer_.expires_after(options_.close_timeout);
  close_timer_.async_wait(
      beast::bind_front_handler(&WebSocketSession::OnCloseDeadline, shared_from_this()));
  ws_.async_close(reason,
                  beast::bind_front_handler(&WebSocketSession::OnClose, shared_from_this()));
}

void WebSocketSession::OnClose(error_code) {
  // The pending read completes once the client's close frame arrives (or the socket fails).
}

void WebSocketSession::OnCloseDeadline(error_code ec) {
  if (ec || finished_) return;
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WebSocketSession::OnServerStop() {
  // Before the handshake completed, OnAccept sees `stopping` and closes.
  if (!opened_) return;
  DoClose({websocket::close_code::going_away, "server stopping"});
}

void WebSocketSession::Finish() {
  if (finished_) return;
  finished_ = true;
  // The front stays while a write may still refer to it.
  if (writing_) {
    queue_.erase(queue_.begin() + 1, queue_.end());
  } else {
    queue_.clear();
  }
  error_code ignored;
  stall_timer_.cancel(ignored);
  close_timer_.cancel(ignored);
  if (!closing_ || writing_) {
    // Make sure the socket goes too, so that a pending write ends.
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }
}

}  // namespace ctrace
