// The Beast side of the API, in the style of Beast's example/advanced/server: an accept loop and
// one HttpSession per connection that only does I/O; every answer comes from Router::Handle.
// A WebSocket upgrade the Router admits is handed over to a WebSocketSession
// (api/websocket_session.h). With websocket_session.cc, the only translation units of the
// server that include Beast's HTTP machinery.
#include "api/http_server.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/beast.h"
#include "api/http_types.h"
#include "api/router.h"
#include "api/server_core.h"
#include "api/websocket_session.h"
#include "processors/alert_feed.h"

namespace ctrace {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;

// One connection. All its handlers run on its strand (the stream's executor).
class HttpSession : public ServerConnection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, ServerCore& core) : stream_(std::move(socket)), core_(core) {}
  ~HttpSession() override { core_.Unregister(this); }

  void Run() {
    // The socket's executor is this connection's strand: start there.
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::DoReadHeader, shared_from_this()));
  }

  // Called on the strand when the server stops: an idle connection is closed at once; a
  // request in progress is finished and its answer closes the connection.
  void OnServerStop() override {
    if (state_ != State::kIdle) return;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  enum class State { kIdle, kBusy };

  void DoReadHeader() {
    state_ = State::kIdle;
    if (core_.stopping.load()) return DoClose();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.header_limit));
    parser_->body_limit(core_.options.body_limit);
    stream_.expires_after(core_.options.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec) return OnReadError(ec);
    state_ = State::kBusy;
    if (parser_->is_done()) return HandleRequest();
    const auto& request = parser_->get();
    if (request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue")) {
      continue_ = {};
      continue_.version(11);
      continue_.result(http::status::continue_);
      stream_.expires_after(core_.options.write_timeout);
      http::async_write(stream_, continue_,
                        beast::bind_front_handler(&HttpSession::OnWriteContinue,
                                                  shared_from_this()));
      return;
    }
    DoReadBody();
  }

  void OnWriteContinue(error_code ec, std::size_t) {
    if (ec) return;
    DoReadBody();
  }

  void DoReadBody() {
    stream_.expires_after(core_.options.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnReadBody, shared_from_this()));
  }

  void OnReadBody(error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    HandleRequest();
  }

  // A failed read: answer what deserves an answer, drop the connection otherwise (timeouts,
  // resets, a client gone mid-request).
  void OnReadError(error_code ec) {
    if (ec == http::error::body_limit) {
      state_ = State::kBusy;
      return SendErrorAndClose(413, "the request body is over the limit");
    }
    if (ec == http::error::header_limit) {
      state_ = State::kBusy;
      return SendErrorAndClose(400, "the request header is over the limit");
    }
    // Any other error of the HTTP parser (bad method, bad field, bad chunk, ...) gets a 400;
    // a message cut short, a timeout or a reset only ends the connection.
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message && ec != http::error::end_of_stream) {
      state_ = State::kBusy;
      return SendErrorAndClose(400, "malformed HTTP request");
    }
  }

  void HandleRequest() {
    auto& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.authorization = std::string(message[http::field::authorization]);
    request.content_type = std::string(message[http::field::content_type]);
    if (const auto length = parser_->content_length()) request.content_length = *length;
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    if (websocket::is_upgrade(message)) {
      StreamAdmission admission = core_.router.AdmitAlertStream(request);
      if (admission.verdict == StreamAdmission::Verdict::kRefused) {
        SetResponse(*admission.refusal, version, keep_alive && !core_.stopping.load());
        return DoWrite();
      }
      if (admission.verdict == StreamAdmission::Verdict::kAccepted) {
        if (core_.alerts == nullptr || core_.stopping.load()) {
          SetResponse(ErrorResponse(503, "the alert stream is not available"), version,
                      /*keep_alive=*/false);
          return DoWrite();
        }
        return UpgradeToAlertStream(admission.since);
      }
    }

    HttpResponse answer;
    try {
      answer = core_.router.Handle(request);
    } catch (...) {  // Router::Handle does not throw; nothing may escape into Asio.
      answer = ErrorResponse(500, "internal error");
    }
    SetResponse(answer, version, keep_alive && !core_.stopping.load());
    DoWrite();
  }

  // Hands the socket and the upgrade request over to a WebSocketSession; this session ends.
  void UpgradeToAlertStream(uint64_t since) {
    auto stream =
        std::make_shared<WebSocketSession>(stream_.release_socket(), core_, since);
    core_.RegisterUpgrade(stream);
    stream->Run(parser_->release());
  }

  void SetResponse(const HttpResponse& answer, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.body() = answer.body;
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
  }

  void SendErrorAndClose(int status, std::string_view message) {
    linger_after_write_ = true;
    SetResponse(ErrorResponse(status, message), 11, /*keep_alive=*/false);
    DoWrite();
  }

  void DoWrite() {
    stream_.expires_after(core_.options.write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(),
                                                response_.need_eof()));
  }

  void OnWrite(bool close, error_code ec, std::size_t) {
    if (ec) return;
    if (linger_after_write_) return DoLinger();
    if (close) return DoClose();
    response_ = {};
    DoReadHeader();
  }

  // Closes our side for writing and reads (and drops) what the client still sends for a while,
  // so that closing with unread data (a TCP reset) does not destroy the answer in flight.
  void DoLinger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(core_.options.linger_timeout);
    ReadLinger();
  }

  void ReadLinger() {
    stream_.async_read_some(
        asio::buffer(linger_buffer_),
        beast::bind_front_handler(&HttpSession::OnLinger, shared_from_this()));
  }

  void OnLinger(error_code ec, std::size_t) {
    if (ec) return;  // end of stream, timeout or reset: the session ends and closes
    ReadLinger();
  }

  void DoClose() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  ServerCore& core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  State state_ = State::kIdle;
  bool linger_after_write_ = false;
  std::array<char, 4096> linger_buffer_{};
};

}  // namespace

bool ServerCore::TryRegister(const std::shared_ptr<ServerConnection>& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (connections_.size() >= options.max_connections) return false;
  connections_.emplace(connection.get(), connection);
  return true;
}

void ServerCore::RegisterUpgrade(const std::shared_ptr<ServerConnection>& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.emplace(connection.get(), connection);
}

void ServerCore::Unregister(ServerConnection* connection) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(connection);
  if (connections_.empty()) no_connections_.notify_all();
}

std::vector<std::shared_ptr<ServerConnection>> ServerCore::Connections() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ServerConnection>> live;
  live.reserve(connections_.size());
  for (const auto& [ptr, weak] : connections_) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  return live;
}

bool ServerCore::WaitNoConnections(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return no_connections_.wait_until(lock, deadline, [this] { return connections_.empty(); });
}

void ServerCore::AddStream(const std::shared_ptr<AlertStreamListener>& stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.emplace(stream.get(), stream);
}

void ServerCore::RemoveStream(AlertStreamListener* stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.erase(stream);
}

void ServerCore::NotifyStreams(uint64_t next_seq) {
  std::vector<std::shared_ptr<AlertStreamListener>> live;
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    live.reserve(streams_.size());
    for (const auto& [ptr, weak] : streams_) {
      if (auto stream = weak.lock()) live.push_back(std::move(stream));
    }
  }
  for (const auto& stream : live) stream->OnAlertsCommitted(next_seq);
}

namespace {

// The AlertFeed's listener runs on the apply thread, possibly after Unsubscribe returned (the
// feed calls a copy outside its lock); the gate makes it post to the io_context only while the
// server runs, so that Stop can destroy the io_context safely.
struct FeedGate {
  std::mutex mu;
  asio::io_context* ioc = nullptr;  // null once the server stops
  ServerCore* core = nullptr;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Router& router, AlertFeed* alerts)
      : core_(std::move(options), router, alerts) {}
  ~Impl() { Stop(std::chrono::milliseconds(0)); }

  bool Start(const std::string& host, uint16_t port, std::string* error);
  void Stop(std::chrono::milliseconds grace);
  uint16_t port() const { return port_; }

 private:
  void DoAccept();
  void OnAccept(error_code ec, tcp::socket socket);
  void RunThread();

  // Declared before the io_context: sessions destroyed with it still unregister from core_.
  ServerCore core_;
  std::unique_ptr<asio::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;      // on its own strand
  std::unique_ptr<asio::steady_timer> backoff_;  // on the acceptor's strand
  std::vector<std::thread> threads_;
  std::shared_ptr<FeedGate> feed_gate_;
  uint64_t feed_subscription_ = 0;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

bool HttpServer::Impl::Start(const std::string& host, uint16_t port, std::string* error) {
  if (started_) {
    *error = "the server was already started";
    return false;
  }
  const int threads = core_.options.io_threads < 1 ? 1 : core_.options.io_threads;
  ioc_ = std::make_unique<asio::io_context>(threads);
  auto fail = [&](std::string_view what, const error_code& ec) {
    *error = std::string("cannot listen on ") + host + ":" + std::to_string(port) + ": " +
             std::string(what) + ": " + ec.message();
    backoff_.reset();
    acceptor_.reset();
    ioc_.reset();
    return false;
  };

  error_code ec;
  tcp::endpoint endpoint;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(*ioc_);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return fail("resolve", ec);
    if (endpoints.empty()) return fail("resolve", asio::error::host_not_found);
    endpoint = endpoints.begin()->endpoint();
  }

  acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc_));
  backoff_ = std::make_unique<asio::steady_timer>(acceptor_->get_executor());
  acceptor_->open(endpoint.protocol(), ec);
  if (ec) return fail("open", ec);
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set_option", ec);
  acceptor_->bind(endpoint, ec);
  if (ec) return fail("bind", ec);
  acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen", ec);
  port_ = acceptor_->local_endpoint(ec).port();
  if (ec) return fail("local_endpoint", ec);

  started_ = true;
  if (core_.alerts != nullptr) {
    feed_gate_ = std::make_shared<FeedGate>();
    feed_gate_->ioc = ioc_.get();
    feed_gate_->core = &core_;
    feed_subscription_ = core_.alerts->Subscribe([gate = feed_gate_](uint64_t next_seq) {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (gate->ioc == nullptr) return;
      ServerCore* core = gate->core;
      asio::post(*gate->ioc, [core, next_seq] { core->NotifyStreams(next_seq); });
    });
  }
  asio::post(acceptor_->get_executor(), [this] { DoAccept(); });
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { RunThread(); });
  spdlog::info("component=http event=listening port={} io_threads={} max_connections={}", port_,
               threads, core_.options.max_connections);
  return true;
}

void HttpServer::Impl::RunThread() {
  while (true) {
    try {
      ioc_->run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("component=http event=handler_exception what=\"{}\"", e.what());
    }
  }
}

void HttpServer::Impl::DoAccept() {
  // Each connection gets its own strand.
  acceptor_->async_accept(asio::make_strand(*ioc_),
                          [this](error_code ec, tcp::socket socket) {
                            OnAccept(ec, std::move(socket));
                          });
}

void HttpServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (core_.stopping.load() || !acceptor_->is_open()) return;
  if (ec) {
    // Out of descriptors and the like: retry a little later rather than spin.
    spdlog::warn("component=http event=accept_error error=\"{}\"", ec.message());
    backoff_->expires_after(std::chrono::milliseconds(50));
    backoff_->async_wait([this](error_code wait_ec) {
      if (!wait_ec && !core_.stopping.load()) DoAccept();
    });
    return;
  }
  auto session = std::make_shared<HttpSession>(std::move(socket), core_);
  if (core_.TryRegister(session)) {
    session->Run();
  }
  // Else the session (and its socket) is dropped here: over max_connections, closed at once.
  DoAccept();
}

void HttpServer::Impl::Stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  core_.stopping.store(true);
  asio::post(acceptor_->get_executor(), [this] {
    error_code ignored;
    acceptor_->close(ignored);
    backoff_->cancel();
  });
  for (const auto& connection : core_.Connections()) {
    asio::post(connection->executor(), [connection] { connection->OnServerStop(); });
  }
  const bool drained = core_.WaitNoConnections(deadline);
  if (feed_gate_) {
    {
      std::lock_guard<std::mutex> lock(feed_gate_->mu);
      feed_gate_->ioc = nullptr;
    }
    core_.alerts->Unsubscribe(feed_subscription_);
  }
  ioc_->stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // Destroys what is left: the handlers still queued and with them their sessions and sockets.
  backoff_.reset();
  acceptor_.reset();
  ioc_.reset();
  spdlog::info("component=http event=stopped drained={}", drained);
}

HttpServer::HttpServer(HttpServerOptions options, Router& router, AlertFeed* alerts)
    : impl_(std::make_unique<Impl>(std::move(options), router, alerts)) {}

HttpServer::~HttpServer() = default;

bool HttpServer::Start(const std::string& host, uint16_t port, std::string* error) {
  return impl_->Start(host, port, error);
}

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

}  // namespace ctrace
