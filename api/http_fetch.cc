#include "api/http_fetch.h"

#include "api/beast.h"

#include <boost/asio/connect.hpp>

namespace ctrace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

HttpFetchResult Fail(const std::string& what, const beast::error_code& ec) {
  HttpFetchResult result;
  result.error = what + ": " + ec.message();
  return result;
}

}  // namespace

HttpFetchResult HttpGet(const std::string& host, uint16_t port, std::string_view target,
                        const HttpFetchOptions& options) {
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return Fail("resolve " + host, ec);
    // Each step runs the context to completion under the stream's expiry: synchronous with a
    // timeout.
    stream.expires_after(options.timeout);
    stream.async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    ioc.run();
    if (ec) return Fail("connect " + host + ":" + std::to_string(port), ec);

    http::request<http::string_body> req{http::verb::get, std::string(target), 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    req.set(http::field::user_agent, "ctrace");
    if (!options.bearer_token.empty()) req.set(http::field::authorization, "Bearer " + options.bearer_token);
    req.keep_alive(false);
    stream.expires_after(options.timeout);
    http::async_write(stream, req, [&ec](beast::error_code e, size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) return Fail("write", ec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    http::async_read(stream, buffer, parser, [&ec](beast::error_code e, size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) return Fail("read", ec);
    auto response = parser.release();
    HttpFetchResult result;
    result.status = static_cast<int>(response.result_int());
    result.body = std::move(response.body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return result;
  } catch (const std::exception& e) {
    HttpFetchResult result;
    result.error = e.what();
    return result;
  }
}

std::optional<HttpAddress> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) return std::nullopt;
  HttpAddress address;
  std::string_view host = url;
  std::string_view port;
  if (url.front() == '[') {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = url.substr(1, close - 1);
    const auto rest = url.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  address.host = host;
  if (!port.empty()) {
    int value = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || value > 65535) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return std::nullopt;
    address.port = static_cast<uint16_t>(value);
  }
  return address;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace ctrace
