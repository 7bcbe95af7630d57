#include "tests/support/ws_client.h"

#include <utility>  // before Asio: Boost 1.74 with GCC 12 in C++20 needs it

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace ctrace::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;

struct WsClient::Impl {
  // Runs the io_context until the operation started before completes.
  void Run() {
    ioc.restart();
    ioc.run();
  }

  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool closed = false;
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() = default;

Status WsClient::Connect(const std::string& host, uint16_t port, const std::string& target,
                         const std::string& bearer_token, std::chrono::milliseconds timeout) {
  error_code ec;
  tcp::resolver resolver(impl_->ioc);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return Status::Error("resolve " + host + ": " + ec.message());
  auto& stream = beast::get_lowest_layer(impl_->ws);
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
  impl_->Run();
  if (ec) return Status::Error("connect " + host + ":" + std::to_string(port) + ": " + ec.message());
  impl_->ws.set_option(websocket::stream_base::decorator([bearer_token](websocket::request_type& r) {
    if (!bearer_token.empty()) r.set(beast::http::field::authorization, "Bearer " + bearer_token);
  }));
  websocket::response_type response;
  stream.expires_after(timeout);
  impl_->ws.async_handshake(response, host, target, [&](error_code e) { ec = e; });
  impl_->Run();
  if (ec) {
    return Status::Error("WebSocket handshake " + target + ": " + ec.message() + " (HTTP " +
                         std::to_string(response.result_int()) + " " + response.body() + ")");
  }
  stream.expires_never();
  return Status::Ok();
}

Status WsClient::Read(std::string* text, std::chrono::milliseconds timeout) {
  error_code ec;
  impl_->buffer.clear();
  beast::get_lowest_layer(impl_->ws).expires_after(timeout);
  impl_->ws.async_read(impl_->buffer, [&](error_code e, size_t) { ec = e; });
  impl_->Run();
  if (ec == websocket::error::closed) {
    impl_->closed = true;
    return Status::Error("closed by the server: " + std::to_string(close_code()) + " " + close_reason());
  }
  if (ec) return Status::Error("read: " + ec.message());
  *text = beast::buffers_to_string(impl_->buffer.data());
  return Status::Ok();
}

Status WsClient::Close(std::chrono::milliseconds timeout) {
  error_code ec;
  beast::get_lowest_layer(impl_->ws).expires_after(timeout);
  impl_->ws.async_close(websocket::close_code::normal, [&](error_code e) { ec = e; });
  impl_->Run();
  if (ec) return Status::Error("close: " + ec.message());
  impl_->closed = true;
  return Status::Ok();
}

bool WsClient::closed() const { return impl_->closed; }
int WsClient::close_code() const { return static_cast<int>(impl_->ws.reason().code); }
std::string WsClient::close_reason() const { return std::string(impl_->ws.reason().reason.c_str()); }

}  // namespace ctrace::test_support
