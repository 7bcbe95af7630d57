#include "tests/support/http_client.h"

// Boost 1.74 + GCC 12 + C++20: Asio needs <utility> first (DEPENDENCIES.md).
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace ctrace::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;  // set while a connection is open
  beast::flat_buffer buffer;

  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
      stream.reset();
    }
    buffer.clear();
  }

  // Runs the queued asynchronous operations to completion (each bounded by the stream's
  // expiry), which makes them synchronous with a timeout.
  void Run() {
    ioc.restart();
    ioc.run();
  }

  // One request and its response; `*reused` tells whether an open connection was used.
  HttpResponse Exchange(const std::string& host, uint16_t port, const HttpClientOptions& options,
                        http::request<http::string_body>& req, bool* reused);
};

HttpClient::HttpClient(std::string host, uint16_t port, HttpClientOptions options)
    : host_(std::move(host)), port_(port), options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {}

HttpClient::~HttpClient() { impl_->Close(); }

namespace {

HttpResponse Fail(const std::string& what, const beast::error_code& ec) {
  HttpResponse r;
  r.error = what + ": " + ec.message();
  return r;
}

}  // namespace

HttpResponse HttpClient::Impl::Exchange(const std::string& host, uint16_t port,
                                        const HttpClientOptions& options,
                                        http::request<http::string_body>& req, bool* reused) {
  Impl& impl = *this;
  beast::error_code ec;
  *reused = impl.stream.has_value();
  if (!impl.stream) {
    impl.stream.emplace(impl.ioc);
    tcp::resolver resolver(impl.ioc);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) {
      impl.Close();
      return Fail("resolve " + host, ec);
    }
    impl.stream->expires_after(options.timeout);
    impl.stream->async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) {
      ec = e;
    });
    impl.Run();
    if (ec) {
      impl.Close();
      return Fail("connect " + host + ":" + std::to_string(port), ec);
    }
  }
  impl.stream->expires_after(options.timeout);
  http::async_write(*impl.stream, req, [&ec](beast::error_code e, size_t) { ec = e; });
  impl.Run();
  if (ec) {
    impl.Close();
    return Fail("write", ec);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  http::async_read(*impl.stream, impl.buffer, parser,
                   [&ec](beast::error_code e, size_t) { ec = e; });
  impl.Run();
  if (ec) {
    impl.Close();
    return Fail("read", ec);
  }
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  if (!res.keep_alive()) impl.Close();
  return out;
}

HttpResponse HttpClient::Get(std::string_view target) {
  http::request<http::string_body> req{http::verb::get, std::string(target), 11};
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(http::field::user_agent, "ctrace-tests");
  if (!options_.bearer_token.empty()) {
    req.set(http::field::authorization, "Bearer " + options_.bearer_token);
  }
  req.keep_alive(true);
  bool reused = false;
  HttpResponse res = impl_->Exchange(host_, port_, options_, req, &reused);
  if (res.status == 0 && reused) {
    // The server may have closed the idle connection; a GET is safe to repeat once.
    res = impl_->Exchange(host_, port_, options_, req, &reused);
  }
  return res;
}

HttpResponse HttpClient::Post(std::string_view target, std::string body,
                              std::string_view content_type) {
  impl_->Close();
  http::request<http::string_body> req{http::verb::post, std::string(target), 11};
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(http::field::user_agent, "ctrace-tests");
  req.set(http::field::content_type, std::string(content_type));
  if (!options_.bearer_token.empty()) {
    req.set(http::field::authorization, "Bearer " + options_.bearer_token);
  }
  req.keep_alive(false);
  req.body() = std::move(body);
  req.prepare_payload();
  bool reused = false;
  HttpResponse res = impl_->Exchange(host_, port_, options_, req, &reused);
  impl_->Close();
  return res;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace ctrace::test_support
