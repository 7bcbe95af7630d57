// GET /v1/alerts/stream against a real HttpServer on 127.0.0.1, with a fake QueryService whose
// alerts the test appends and announces through a real AlertFeed, and real Beast WebSocket
// clients (synchronous style: each operation runs the client's io_context until it completes,
// bounded by a timeout, so that a failing test fails instead of hanging).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "api/beast.h"
#include "api/http_server.h"
#include "api/router.h"
#include "processors/alert_feed.h"
#include "tests/api/fake_services.h"

namespace ctrace {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;
using testing::FakeIngestService;
using testing::FakeQueryService;

constexpr auto kClientTimeout = std::chrono::seconds(20);
constexpr TimeMs kT0 = 1795161600000;  // 2026-11-20T08:00:00Z

// The seq of an alert frame (its first member), or 0.
uint64_t FrameSeq(const std::string& text) {
  const std::string key = "{\"seq\":";
  if (text.compare(0, key.size(), key) != 0) return 0;
  return std::strtoull(text.c_str() + key.size(), nullptr, 10);
}

// One WebSocket client on its own io_context.
class WsClient {
 public:
  // Connects to /v1/alerts/stream?since=SINCE (the target given as is when `target` is set).
  // `receive_buffer` > 0 sets SO_RCVBUF before connecting.
  error_code Connect(uint16_t port, uint64_t since, int receive_buffer = 0,
                     const std::string& authorization = "", std::string target = "") {
    error_code ec;
    auto& stream = beast::get_lowest_layer(ws_);
    if (receive_buffer > 0) {
      stream.socket().open(tcp::v4(), ec);
      if (ec) return ec;
      stream.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec);
      if (ec) return ec;
    }
    stream.expires_after(kClientTimeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                         [&](error_code e) { ec = e; });
    Run();
    if (ec) return ec;
    if (target.empty()) target = "/v1/alerts/stream?since=" + std::to_string(since);
    ws_.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& r) {
      if (!authorization.empty()) r.set(http::field::authorization, authorization);
    }));
    stream.expires_after(kClientTimeout);
    ws_.async_handshake(handshake_response_, "127.0.0.1", target,
                        [&](error_code e) { ec = e; });
    Run();
    return ec;
  }

  // Reads one message; its text in *text.
  error_code Read(std::string* text) {
    error_code ec;
    buffer_.clear();
    beast::get_lowest_layer(ws_).expires_after(kClientTimeout);
    ws_.async_read(buffer_, [&](error_code e, size_t) { ec = e; });
    Run();
    if (!ec) *text = beast::buffers_to_string(buffer_.data());
    return ec;
  }

  error_code Close() {
    error_code ec;
    beast::get_lowest_layer(ws_).expires_after(kClientTimeout);
    ws_.async_close(websocket::close_code::normal, [&](error_code e) { ec = e; });
    Run();
    return ec;
  }

  // Drops the connection without a close frame.
  void Drop() {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::close_reason reason() const { return ws_.reason(); }
  const websocket::response_type& handshake_response() const { return handshake_response_; }

 private:
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  websocket::response_type handshake_response_;
  beast::flat_buffer buffer_;
};

class AlertsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_options_.io_threads = 2;
    server_options_.max_connections = 4096;
    server_options_.alert_stream.stall_timeout = std::chrono::milliseconds(300);
  }

  void StartServer(bool with_feed = true) {
    router_ = std::make_unique<Router>(queries_, ingest_, router_options_);
    server_ = std::make_unique<HttpServer>(server_options_, *router_, with_feed ? &feed_ : nullptr);
    std::string error;
    ASSERT_TRUE(server_->Start("127.0.0.1", 0, &error)) << error;
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(5));
  }

  // Appends `n` alerts (cluster.changed with `cases_per_alert` cases, so their size can be
  // chosen) and announces them, as the apply loop does after a commit.
  void Publish(int n, int cases_per_alert = 1) {
    for (int i = 0; i < n; ++i) {
      AlertView alert;
      alert.at = kT0;
      alert.type = AlertType::kClusterChanged;
      alert.id = "C" + std::to_string(queries_.NextAlertSeq());
      for (int c = 0; c < cases_per_alert; ++c) alert.cases.push_back("P" + std::to_string(100000 + c));
      queries_.AppendAlert(std::move(alert));
    }
    feed_.Publish(queries_.NextAlertSeq());
  }

  uint64_t LastSeq() { return queries_.NextAlertSeq() - 1; }

  // Reads frames until the one with `seq`; every frame must follow the previous by one.
  void ReadThrough(WsClient& client, uint64_t* last, uint64_t seq) {
    while (*last < seq) {
      std::string text;
      const error_code ec = client.Read(&text);
      ASSERT_FALSE(ec) << ec.message() << " after seq " << *last;
      ASSERT_EQ(FrameSeq(text), *last + 1) << text;
      *last = FrameSeq(text);
    }
  }

  FakeQueryService queries_;
  FakeIngestService ingest_;
  AlertFeed feed_;
  RouterOptions router_options_;
  HttpServerOptions server_options_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(AlertsStreamTest, BacklogThenLive) {
  server_options_.alert_stream.send_queue_frames = 8;  // the backlog comes in several pages
  StartServer();
  Publish(50);
  WsClient client;
  ASSERT_FALSE(client.Connect(server_->port(), 0));
  EXPECT_EQ(client.handshake_response().result(), http::status::switching_protocols);
  uint64_t last = 0;
  ReadThrough(client, &last, 50);
  Publish(3);
  ReadThrough(client, &last, 53);

  std::string text;
  Publish(1);
  ASSERT_FALSE(client.Read(&text));
  EXPECT_EQ(text,
            R"({"seq":54,"at":"2026-11-20T08:00:00Z","type":"cluster.changed","id":"C54","cases":["P100000"]})");
  last = 54;

  // A second client resuming after 51 gets 52.. and then the live ones.
  WsClient resumed;
  ASSERT_FALSE(resumed.Connect(server_->port(), 51));
  uint64_t resumed_last = 51;
  ReadThrough(resumed, &resumed_last, 54);
  Publish(2);
  ReadThrough(resumed, &resumed_last, 56);
  ReadThrough(client, &last, 56);
  EXPECT_LE(queries_.max_alert_limit, 8u);
  EXPECT_FALSE(client.Close());
}

TEST_F(AlertsStreamTest, SinceBeyondTheEndWaitsForThoseAlerts) {
  StartServer();
  Publish(3);
  WsClient client;
  ASSERT_FALSE(client.Connect(server_->port(), 5));
  Publish(4);  // 4..7: only 6 and 7 are after since
  uint64_t last = 5;
  ReadThrough(client, &last, 7);
}

TEST_F(AlertsStreamTest, DisconnectAndResumeAtRandomPointsHasNoGapAndNoDuplicate) {
  server_options_.alert_stream.send_queue_frames = 16;
  StartServer();
  constexpr int kBacklog = 300;
  constexpr int kTotal = 3000;
  Publish(kBacklog);
  std::thread producer([&] {
    std::mt19937 rng(7);
    while (LastSeq() < static_cast<uint64_t>(kTotal)) {
      const int n = std::min<int>(std::uniform_int_distribution<int>(1, 40)(rng),
                                  kTotal - static_cast<int>(LastSeq()));
      Publish(n);
      std::this_thread::yield();
    }
  });

  std::mt19937 rng(11);
  uint64_t last = 0;  // the union of what was received is exactly 1..last, in order
  int connections = 0;
  while (last < static_cast<uint64_t>(kTotal)) {
    WsClient client;
    ++connections;
    ASSERT_FALSE(client.Connect(server_->port(), last));
    const int take = std::uniform_int_distribution<int>(1, 250)(rng);
    for (int i = 0; i < take && last < static_cast<uint64_t>(kTotal); ++i) {
      std::string text;
      const error_code ec = client.Read(&text);
      ASSERT_FALSE(ec) << ec.message();
      ASSERT_EQ(FrameSeq(text), last + 1) << "connection " << connections;
      last = FrameSeq(text);
    }
    if (rng() % 2 == 0) {
      client.Drop();
    } else {
      EXPECT_FALSE(client.Close());
    }
  }
  producer.join();
  EXPECT_EQ(last, static_cast<uint64_t>(kTotal));
  EXPECT_GT(connections, 10);
  EXPECT_LE(queries_.max_alert_limit, 16u);
}

TEST_F(AlertsStreamTest, AClientThatStopsReadingIsClosedWith1008WhileAnotherKeepsReceiving) {
  server_options_.alert_stream.send_queue_frames = 64;
  StartServer();
  WsClient stalled;
  ASSERT_FALSE(stalled.Connect(server_->port(), 0, /*receive_buffer=*/4096));

  std::atomic<uint64_t> fast_last{0};
  std::atomic<bool> fast_failed{false};
  std::atomic<bool> stop_fast{false};
  WsClient fast;
  ASSERT_FALSE(fast.Connect(server_->port(), 0));
  std::thread fast_reader([&] {
    uint64_t last = 0;
    while (!stop_fast.load()) {
      std::string text;
      if (fast.Read(&text) || FrameSeq(text) != last + 1) {
        fast_failed = true;
        return;
      }
      last = FrameSeq(text);
      fast_last = last;
    }
  });

  // Large alerts (~1.3 KB) until the stalled client's socket stops taking them and the server
  // gives up on it: its send buffer and the client's receive buffer fill first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (router_->stream_metrics().closed_slow() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    Publish(500, /*cases_per_alert=*/150);
    const uint64_t target = LastSeq();
    while (fast_last.load() < target && !fast_failed.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_FALSE(fast_failed.load());
    // Let the stall timer see a whole stall_timeout without progress.
    const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    while (router_->stream_metrics().closed_slow() == 0 && std::chrono::steady_clock::now() < settle) {
      std::this_thread::yield();
    }
  }
  ASSERT_EQ(router_->stream_metrics().closed_slow(), 1u);
  std::printf("stalled after %llu alerts of ~1.3 KB\n", static_cast<unsigned long long>(LastSeq()));
  // The server never read more than one queue's worth at a time for anyone.
  EXPECT_LE(queries_.max_alert_limit, 64u);

  // The stalled client, reading again, finds an unbroken prefix and then the 1008 close.
  uint64_t last = 0;
  error_code ec;
  for (;;) {
    std::string text;
    ec = stalled.Read(&text);
    if (ec) break;
    ASSERT_EQ(FrameSeq(text), last + 1);
    last = FrameSeq(text);
  }
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(stalled.reason().code, websocket::close_code::policy_error);
  EXPECT_NE(std::string(stalled.reason().reason.c_str()).find("too slow"), std::string::npos);
  EXPECT_LT(last, LastSeq());

  // The other client keeps receiving.
  Publish(5);
  const uint64_t target = LastSeq();
  while (fast_last.load() < target && !fast_failed.load() &&
         std::chrono::steady_clock::now() < deadline + std::chrono::seconds(20)) {
    std::this_thread::yield();
  }
  EXPECT_EQ(fast_last.load(), target);
  EXPECT_FALSE(fast_failed.load());
  EXPECT_EQ(router_->stream_metrics().closed_slow(), 1u);
  stop_fast = true;
  Publish(1);  // wakes the reader
  fast_reader.join();
}

TEST_F(AlertsStreamTest, AThousandConcurrentClientsReceiveEveryAlert) {
  constexpr int kClients = 1000;
  constexpr int kAlerts = 20;
  StartServer();
  Publish(5);  // a little backlog too

  // All clients on one io_context, driven by one thread.
  asio::io_context ioc;
  struct Client {
    explicit Client(asio::io_context& ioc) : ws(ioc) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    uint64_t last = 0;
    bool failed = false;
  };
  std::vector<std::unique_ptr<Client>> clients;
  std::atomic<int> connected{0};
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server_->port());
  std::function<void(Client*)> read_loop = [&](Client* c) {
    c->ws.async_read(c->buffer, [&, c](error_code ec, size_t) {
      if (ec) {
        if (!c->failed && c->last < kAlerts + 5) {
          c->failed = true;
          ++failed;
        }
        return;
      }
      const uint64_t seq = FrameSeq(beast::buffers_to_string(c->buffer.data()));
      c->buffer.clear();
      if (seq != c->last + 1) {
        c->failed = true;
        ++failed;
        return;
      }
      c->last = seq;
      if (seq == kAlerts + 5) ++done;
      read_loop(c);
    });
  };
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(ioc));
    Client* c = clients.back().get();
    c->ws.next_layer().async_connect(endpoint, [&, c](error_code ec) {
      if (ec) {
        ++failed;
        return;
      }
      c->ws.async_handshake("127.0.0.1", "/v1/alerts/stream?since=0", [&, c](error_code hec) {
        if (hec) {
          ++failed;
          return;
        }
        ++connected;
        read_loop(c);
      });
    });
  }
  std::thread runner([&] { ioc.run_for(std::chrono::seconds(120)); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(100);
  while (connected.load() + failed.load() < kClients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(connected.load(), kClients);
  for (int batch = 0; batch < 4; ++batch) Publish(kAlerts / 4);
  while (done.load() + failed.load() < kClients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(done.load(), kClients);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(router_->stream_metrics().open(), kClients);
  ioc.stop();
  runner.join();
  clients.clear();
}

TEST_F(AlertsStreamTest, StopClosesStreamsWithGoingAway) {
  StartServer();
  Publish(2);
  WsClient client;
  ASSERT_FALSE(client.Connect(server_->port(), 0));
  uint64_t last = 0;
  ReadThrough(client, &last, 2);
  std::thread stopper([&] { server_->Stop(std::chrono::seconds(5)); });
  std::string text;
  const error_code ec = client.Read(&text);
  stopper.join();
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.reason().code, websocket::close_code::going_away);
}

TEST_F(AlertsStreamTest, RefusalsAreHttpAnswers) {
  router_options_.authorize = [](const HttpRequest& request,
                                 RouteClass route_class) -> std::optional<HttpResponse> {
    if (route_class != RouteClass::kDashboard) return std::nullopt;
    if (request.authorization != "Bearer dash") return ErrorResponse(401, "a bearer token is required");
    return std::nullopt;
  };
  StartServer();
  {
    WsClient client;
    const error_code ec = client.Connect(server_->port(), 0);
    EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
    EXPECT_EQ(client.handshake_response().result_int(), 401);
  }
  {
    WsClient client;
    const error_code ec =
        client.Connect(server_->port(), 0, 0, "Bearer dash", "/v1/alerts/stream?since=x");
    EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
    EXPECT_EQ(client.handshake_response().result_int(), 400);
  }
  {
    WsClient client;  // an upgrade elsewhere is a plain request
    const error_code ec = client.Connect(server_->port(), 0, 0, "Bearer dash", "/v1/nothing");
    EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
    EXPECT_EQ(client.handshake_response().result_int(), 404);
  }
  {
    WsClient client;
    Publish(1);
    ASSERT_FALSE(client.Connect(server_->port(), 0, 0, "Bearer dash"));
    std::string text;
    ASSERT_FALSE(client.Read(&text));
    EXPECT_EQ(FrameSeq(text), 1u);
  }
}

TEST_F(AlertsStreamTest, WithoutAFeedTheStreamIs503) {
  StartServer(/*with_feed=*/false);
  WsClient client;
  const error_code ec = client.Connect(server_->port(), 0);
  EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  EXPECT_EQ(client.handshake_response().result_int(), 503);
}

TEST_F(AlertsStreamTest, AReadErrorClosesWith1011) {
  StartServer();
  queries_.throw_on_list_alerts = true;
  WsClient client;
  ASSERT_FALSE(client.Connect(server_->port(), 0));
  std::string text;
  const error_code ec = client.Read(&text);
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.reason().code, websocket::close_code::internal_error);
}

}  // namespace
}  // namespace ctrace
