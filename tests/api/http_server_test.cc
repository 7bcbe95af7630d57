// Starts a real HttpServer on 127.0.0.1 (a free port) over a Router with fake services, and
// talks to it with a synchronous-style Beast client (async operations bounded by timeouts, so
// a failing test fails instead of hanging).
#include "api/http_server.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/beast.h"
#include "api/router.h"
#include "tests/api/fake_services.h"

namespace ctrace {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using beast::error_code;
using testing::FakeIngestService;
using testing::FakeQueryService;

constexpr auto kClientTimeout = std::chrono::seconds(10);

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class TestClient {
 public:
  error_code Connect(uint16_t port) {
    error_code ec;
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](error_code e) { ec = e; });
    Run();
    return ec;
  }

  error_code Write(Request& request) {
    error_code ec;
    request.prepare_payload();
    stream_.expires_after(kClientTimeout);
    http::async_write(stream_, request, [&](error_code e, size_t) { ec = e; });
    Run();
    return ec;
  }

  error_code WriteRaw(const std::string& bytes) {
    error_code ec;
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(bytes), [&](error_code e, size_t) { ec = e; });
    Run();
    return ec;
  }

  error_code Read(Response* response) {
    error_code ec;
    *response = {};
    stream_.expires_after(kClientTimeout);
    http::async_read(stream_, buffer_, *response, [&](error_code e, size_t) { ec = e; });
    Run();
    return ec;
  }

  Response RoundTrip(Request request) {
    Response response;
    EXPECT_FALSE(Write(request)) << "write";
    const error_code ec = Read(&response);
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  // Reads until the server closes the connection; true when it did (EOF or reset).
  bool ReadsClosed() {
    error_code ec;
    char byte;
    stream_.expires_after(kClientTimeout);
    stream_.async_read_some(asio::buffer(&byte, 1), [&](error_code e, size_t) { ec = e; });
    Run();
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

Request Get(std::string target) {
  Request request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  return request;
}

Request PostEvents(std::string target, std::string body, std::string content_type) {
  Request request(http::verb::post, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  return request;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer() {
    router_ = std::make_unique<Router>(queries_, ingest_, router_options_);
    server_ = std::make_unique<HttpServer>(server_options_, *router_);
    std::string error;
    ASSERT_TRUE(server_->Start("127.0.0.1", 0, &error)) << error;
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    ingest_.Release();
    if (server_) server_->Stop(std::chrono::seconds(5));
  }

  FakeQueryService queries_;
  FakeIngestService ingest_;
  RouterOptions router_options_;
  HttpServerOptions server_options_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersOnAFreePort) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  const Response response = client.RoundTrip(Get("/healthz"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"status":"ok"})");
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  for (int i = 0; i < 5; ++i) {
    const Response response = client.RoundTrip(Get(i % 2 == 0 ? "/healthz" : "/nowhere"));
    EXPECT_EQ(response.result_int(), i % 2 == 0 ? 200 : 404);
    EXPECT_TRUE(response.keep_alive());
  }
  const Response last = client.RoundTrip(PostEvents("/v1/events", "{}\n", "application/x-ndjson"));
  EXPECT_EQ(last.result_int(), 200);
  EXPECT_EQ(last.body(), R"({"accepted":0,"duplicates":0,"rejected":[]})");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  ASSERT_FALSE(client.WriteRaw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"status":"ok"})");
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 404);
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.body(), R"({"status":"ready"})");
}

TEST_F(HttpServerTest, PassesRequestFieldsToTheRouter) {
  std::string authorization;
  router_options_.authorize = [&](const HttpRequest& request,
                                  RouteClass) -> std::optional<HttpResponse> {
    authorization = request.authorization;
    return std::nullopt;
  };
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  Request request = PostEvents("/v1/events?wait=applied", "[{\"a\":1}]",
                               "application/json; charset=utf-8");
  request.set(http::field::authorization, "Bearer t0ken");
  ingest_.result.last_position = 9;
  const Response response = client.RoundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(authorization, "Bearer t0ken");
  EXPECT_EQ(ingest_.last_body, "[{\"a\":1}]");
  EXPECT_EQ(ingest_.last_format, BodyFormat::kJsonArray);
  EXPECT_EQ(ingest_.last_wait_position, 9u);
}

TEST_F(HttpServerTest, ErrorHeadersArePassedBack) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  const Response response = client.RoundTrip(Get("/v1/events"));
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[http::field::allow], "POST");
  EXPECT_EQ(response.body(),
            R"({"error":"method_not_allowed","message":"method not allowed for this path"})");
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  server_options_.body_limit = 1024;
  StartServer();
  {
    TestClient client;
    ASSERT_FALSE(client.Connect(server_->port()));
    const Response ok = client.RoundTrip(PostEvents("/v1/events", std::string(1024, ' '),
                                                    "application/x-ndjson"));
    EXPECT_EQ(ok.result_int(), 200);
    const Response response = client.RoundTrip(
        PostEvents("/v1/events", std::string(4096, ' '), "application/x-ndjson"));
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_EQ(response[http::field::content_type], "application/json");
    EXPECT_EQ(response.body(),
              R"({"error":"too_large","message":"the request body is over the limit"})");
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.ReadsClosed());
  }
  {
    // Chunked: the limit is only found while reading the body.
    TestClient client;
    ASSERT_FALSE(client.Connect(server_->port()));
    std::string chunked =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) chunked += "200\r\n" + std::string(512, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    ASSERT_FALSE(client.WriteRaw(chunked));
    Response response;
    ASSERT_FALSE(client.Read(&response));
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_TRUE(client.ReadsClosed());
  }
  EXPECT_EQ(ingest_.ingest_calls, 1);
}

TEST_F(HttpServerTest, ExpectContinue) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  ASSERT_FALSE(client.WriteRaw(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
      "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  Response response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 100);
  ASSERT_FALSE(client.WriteRaw("{}\n"));
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(ingest_.last_body, "{}\n");
}

TEST_F(HttpServerTest, MalformedRequestsAre400AndClosed) {
  StartServer();
  {
    TestClient client;
    ASSERT_FALSE(client.Connect(server_->port()));
    ASSERT_FALSE(client.WriteRaw("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"));
    Response response;
    ASSERT_FALSE(client.Read(&response));
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(response.body(), R"({"error":"bad_request","message":"malformed HTTP request"})");
    EXPECT_TRUE(client.ReadsClosed());
  }
  {
    TestClient client;
    ASSERT_FALSE(client.Connect(server_->port()));
    ASSERT_FALSE(client.WriteRaw("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') +
                                 "\r\n\r\n"));
    Response response;
    ASSERT_FALSE(client.Read(&response));
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(response.body(),
              R"({"error":"bad_request","message":"the request header is over the limit"})");
  }
}

TEST_F(HttpServerTest, Http10ClosesAfterTheAnswer) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  Request request = Get("/healthz");
  request.version(10);
  const Response response = client.RoundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ReadsClosed());
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  Request request = Get("/healthz");
  request.keep_alive(false);
  const Response response = client.RoundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ReadsClosed());
}

TEST_F(HttpServerTest, ConcurrentClients) {
  server_options_.io_threads = 3;
  queries_.persons["P1"] = PersonView{.person = "P1"};
  StartServer();
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      TestClient client;
      if (client.Connect(server_->port())) return;
      for (int i = 0; i < kRequests; ++i) {
        Request request = (c + i) % 2 == 0 ? Get("/v1/persons/P1") : Get("/v1/stats");
        Response response;
        if (client.Write(request) || client.Read(&response)) return;
        if (response.result_int() == 200) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(router_->metrics().RequestCount(RouteId::kPerson, 200) +
                router_->metrics().RequestCount(RouteId::kStats, 200),
            static_cast<uint64_t>(kClients * kRequests));
}

TEST_F(HttpServerTest, ABlockedHandlerDoesNotStallOthers) {
  server_options_.io_threads = 2;
  ingest_.wait_blocks = true;
  StartServer();
  std::thread blocked([&] {
    TestClient client;
    ASSERT_FALSE(client.Connect(server_->port()));
    const Response response =
        client.RoundTrip(PostEvents("/v1/events?wait=applied", "", "application/x-ndjson"));
    EXPECT_EQ(response.result_int(), 200);
  });
  ASSERT_TRUE(ingest_.AwaitWaiting(1));
  TestClient other;
  ASSERT_FALSE(other.Connect(server_->port()));
  EXPECT_EQ(other.RoundTrip(Get("/healthz")).result_int(), 200);
  ingest_.Release();
  blocked.join();
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosed) {
  server_options_.max_connections = 1;
  StartServer();
  auto first = std::make_unique<TestClient>();
  ASSERT_FALSE(first->Connect(server_->port()));
  EXPECT_EQ(first->RoundTrip(Get("/healthz")).result_int(), 200);

  TestClient second;
  ASSERT_FALSE(second.Connect(server_->port()));  // the kernel accepts; the server closes it
  EXPECT_TRUE(second.ReadsClosed());

  first.reset();  // frees the slot once the server sees the close
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    TestClient again;
    if (again.Connect(server_->port())) continue;
    Request request = Get("/healthz");
    Response response;
    served = !again.Write(request) && !again.Read(&response) && response.result_int() == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, StopFinishesTheRequestInFlight) {
  ingest_.wait_blocks = true;
  StartServer();
  const uint16_t port = server_->port();

  TestClient idle;  // a kept-alive connection with nothing in flight: closed at once
  ASSERT_FALSE(idle.Connect(port));
  EXPECT_EQ(idle.RoundTrip(Get("/healthz")).result_int(), 200);

  Response in_flight;
  error_code in_flight_error;
  std::thread client_thread([&] {
    TestClient client;
    if ((in_flight_error = client.Connect(port))) return;
    Request request = PostEvents("/v1/events?wait=applied", "{}\n", "application/x-ndjson");
    if ((in_flight_error = client.Write(request))) return;
    in_flight_error = client.Read(&in_flight);
  });
  ASSERT_TRUE(ingest_.AwaitWaiting(1));

  std::thread stop_thread([&] { server_->Stop(std::chrono::seconds(10)); });
  EXPECT_TRUE(idle.ReadsClosed());
  // No new connection is served any more.
  bool refused = false;
  for (int attempt = 0; attempt < 200 && !refused; ++attempt) {
    TestClient late;
    if (late.Connect(port)) {
      refused = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_TRUE(refused);

  ingest_.Release();
  client_thread.join();
  stop_thread.join();
  ASSERT_FALSE(in_flight_error) << in_flight_error.message();
  EXPECT_EQ(in_flight.result_int(), 200);
  EXPECT_EQ(in_flight.body(), R"({"accepted":0,"duplicates":0,"rejected":[]})");
  EXPECT_FALSE(in_flight.keep_alive());
}

TEST_F(HttpServerTest, StopWithNothingInFlightAndTwice) {
  StartServer();
  const auto start = std::chrono::steady_clock::now();
  server_->Stop(std::chrono::seconds(30));
  server_->Stop(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  TestClient client;
  EXPECT_TRUE(client.Connect(server_->port()));  // refused
}

TEST_F(HttpServerTest, StartFailsOnAPortInUse) {
  StartServer();
  HttpServer second(server_options_, *router_);
  std::string error;
  EXPECT_FALSE(second.Start("127.0.0.1", server_->port(), &error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
  EXPECT_EQ(second.port(), 0);
  std::string again;
  EXPECT_FALSE(server_->Start("127.0.0.1", 0, &again));  // started once only
}

TEST_F(HttpServerTest, StartFailsOnAForeignAddress) {
  router_ = std::make_unique<Router>(queries_, ingest_, router_options_);
  HttpServer server(server_options_, *router_);
  std::string error;
  EXPECT_FALSE(server.Start("192.0.2.1", 0, &error));  // TEST-NET-1: not an address of ours
  EXPECT_FALSE(error.empty());
}

TEST_F(HttpServerTest, DestructorStopsARunningServer) {
  StartServer();
  TestClient client;
  ASSERT_FALSE(client.Connect(server_->port()));
  EXPECT_EQ(client.RoundTrip(Get("/healthz")).result_int(), 200);
  server_.reset();
  EXPECT_TRUE(client.ReadsClosed());
}

}  // namespace
}  // namespace ctrace
