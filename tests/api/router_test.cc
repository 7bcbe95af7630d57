#include "api/router.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/fake_services.h"

namespace ctrace {
namespace {

using testing::FakeIngestService;
using testing::FakeQueryService;

constexpr TimeMs kT0 = 1795161600000;  // 2026-11-20T08:00:00Z

class RouterTest : public ::testing::Test {
 protected:
  Router& router() {
    if (!router_) router_ = std::make_unique<Router>(queries_, ingest_, options_);
    return *router_;
  }

  HttpResponse Call(std::string method, std::string target, std::string content_type = "",
                    std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.content_type = std::move(content_type);
    request.body = std::move(body);
    request.content_length = request.body.size();
    return router().Handle(request);
  }
  HttpResponse Get(std::string target) { return Call("GET", std::move(target)); }
  HttpResponse PostEvents(std::string target, std::string content_type, std::string body) {
    return Call("POST", std::move(target), std::move(content_type), std::move(body));
  }

  // Follows next_cursor from `first` to the end, returning the bodies of the pages.
  std::vector<std::string> AllPages(const std::string& first) {
    std::vector<std::string> bodies;
    std::string target = first;
    for (int guard = 0; guard < 100; ++guard) {
      const HttpResponse response = Get(target);
      EXPECT_EQ(response.status, 200) << response.body;
      bodies.push_back(response.body);
      const std::string key = "\"next_cursor\":\"";
      const size_t at = response.body.find(key);
      if (at == std::string::npos) {
        EXPECT_NE(response.body.find("\"next_cursor\":null"), std::string::npos);
        break;
      }
      const size_t begin = at + key.size();
      const std::string cursor = response.body.substr(begin, response.body.find('"', begin) - begin);
      target = first + (first.find('?') == std::string::npos ? "?" : "&") + "cursor=" + cursor;
    }
    return bodies;
  }

  FakeQueryService queries_;
  FakeIngestService ingest_;
  RouterOptions options_;
  std::unique_ptr<Router> router_;
};

void ExpectError(const HttpResponse& response, int status, const std::string& code) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const std::string prefix = "{\"error\":\"" + code + "\",\"message\":\"";
  EXPECT_EQ(response.body.substr(0, prefix.size()), prefix) << response.body;
  EXPECT_GT(response.body.size(), prefix.size() + 2) << "an empty message: " << response.body;
  EXPECT_EQ(response.body.substr(response.body.size() - 2), "\"}") << response.body;
}

std::string HeaderValue(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

// --- service routes ---------------------------------------------------------------------

TEST_F(RouterTest, Healthz) {
  const HttpResponse response = Get("/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"status":"ok"})");
}

TEST_F(RouterTest, ReadyzFollowsTheCallback) {
  bool ready = false;
  options_.ready = [&] { return ready; };
  ExpectError(Get("/readyz"), 503, "not_ready");
  ready = true;
  const HttpResponse response = Get("/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"ready"})");
}

TEST_F(RouterTest, ReadyzWithoutCallbackIsReady) {
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(RouterTest, UnknownPathsAre404) {
  ExpectError(Get("/"), 404, "not_found");
  ExpectError(Get("/v1"), 404, "not_found");
  ExpectError(Get("/v1/nothing"), 404, "not_found");
  ExpectError(Get("/v1/cases/"), 404, "not_found");
  ExpectError(Get("/v1/persons/P1/extra"), 404, "not_found");
  ExpectError(Get("/v2/cases"), 404, "not_found");
  ExpectError(Get("/v1/alerts/streams"), 404, "not_found");
  ExpectError(Call("DELETE", "/nowhere"), 404, "not_found");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse response = Get("/v1/events");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(HeaderValue(response, "Allow"), "POST");
  response = Call("POST", "/v1/persons/P1");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(HeaderValue(response, "Allow"), "GET");
  ExpectError(Call("DELETE", "/v1/cases"), 405, "method_not_allowed");
  ExpectError(Call("PUT", "/healthz"), 405, "method_not_allowed");
  ExpectError(Call("get", "/healthz"), 405, "method_not_allowed");  // methods are case-sensitive
  EXPECT_EQ(ingest_.ingest_calls, 0);
}

TEST_F(RouterTest, BadTargetIs400) {
  ExpectError(Get("/v1/persons/P%zz"), 400, "bad_request");
  ExpectError(Get("v1/cases"), 400, "bad_request");
  ExpectError(Get("/v1/cases?limit=1&limit=2"), 400, "bad_request");
}

// --- ingest -----------------------------------------------------------------------------

TEST_F(RouterTest, IngestNdjsonAnswerShape) {
  ingest_.result.accepted = 998;
  ingest_.result.duplicates = 1;
  ingest_.result.rejected = {{17, "c-99", "bad_time:ts"}, {18, "", "malformed_json"}};
  const HttpResponse response =
      PostEvents("/v1/events", "application/x-ndjson", "{\"type\":\"checkin\"}\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"accepted":998,"duplicates":1,"rejected":[{"line":17,"id":"c-99","reason":"bad_time:ts"},)"
            R"({"line":18,"reason":"malformed_json"}]})");
  EXPECT_EQ(ingest_.last_body, "{\"type\":\"checkin\"}\n");
  EXPECT_EQ(ingest_.last_format, BodyFormat::kNdjson);
  EXPECT_EQ(ingest_.wait_calls, 0);
}

TEST_F(RouterTest, IngestEmptyAnswer) {
  const HttpResponse response = PostEvents("/v1/events", "application/x-ndjson", "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"accepted":0,"duplicates":0,"rejected":[]})");
}

TEST_F(RouterTest, IngestContentTypes) {
  EXPECT_EQ(PostEvents("/v1/events", "application/json", "[]").status, 200);
  EXPECT_EQ(ingest_.last_format, BodyFormat::kJsonArray);
  EXPECT_EQ(PostEvents("/v1/events", "Application/JSON; charset=utf-8", "[]").status, 200);
  EXPECT_EQ(ingest_.last_format, BodyFormat::kJsonArray);
  EXPECT_EQ(PostEvents("/v1/events", " application/x-ndjson ;charset=utf-8", "").status, 200);
  EXPECT_EQ(ingest_.last_format, BodyFormat::kNdjson);
  EXPECT_EQ(ingest_.ingest_calls, 3);

  ExpectError(PostEvents("/v1/events", "text/plain", "{}"), 415, "unsupported_media_type");
  ExpectError(PostEvents("/v1/events", "", "{}"), 415, "unsupported_media_type");
  ExpectError(PostEvents("/v1/events", "application/jsonx", "{}"), 415, "unsupported_media_type");
  EXPECT_EQ(ingest_.ingest_calls, 3);
}

TEST_F(RouterTest, IngestStatuses) {
  ingest_.result.status = IngestStatus::kBadBody;
  ingest_.result.message = "the body is not a JSON array";
  HttpResponse response = PostEvents("/v1/events", "application/json", "[");
  ExpectError(response, 400, "bad_request");
  EXPECT_EQ(response.body,
            R"({"error":"bad_request","message":"the body is not a JSON array"})");

  ingest_.result.status = IngestStatus::kOverloaded;
  response = PostEvents("/v1/events", "application/x-ndjson", "{}");
  ExpectError(response, 429, "overloaded");
  EXPECT_EQ(HeaderValue(response, "Retry-After"), "1");

  ingest_.result.status = IngestStatus::kLogError;
  ExpectError(PostEvents("/v1/events", "application/x-ndjson", "{}"), 503, "not_ready");
}

TEST_F(RouterTest, IngestWaitApplied) {
  options_.wait_applied_timeout = std::chrono::milliseconds(1234);
  ingest_.result.accepted = 2;
  ingest_.result.last_position = 77;
  HttpResponse response = PostEvents("/v1/events?wait=applied", "application/x-ndjson", "{}");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"accepted":2,"duplicates":0,"rejected":[]})");
  EXPECT_EQ(ingest_.wait_calls, 1);
  EXPECT_EQ(ingest_.last_wait_position, 77u);
  EXPECT_EQ(ingest_.last_wait_timeout, std::chrono::milliseconds(1234));

  ingest_.wait_applied_result = false;
  ExpectError(PostEvents("/v1/events?wait=applied", "application/x-ndjson", "{}"), 503,
              "not_ready");

  ExpectError(PostEvents("/v1/events?wait=durable", "application/x-ndjson", "{}"), 400,
              "bad_request");
  EXPECT_EQ(ingest_.wait_calls, 2);
}

TEST_F(RouterTest, IngestFailureDoesNotWait) {
  ingest_.result.status = IngestStatus::kOverloaded;
  ExpectError(PostEvents("/v1/events?wait=applied", "application/x-ndjson", "{}"), 429,
              "overloaded");
  EXPECT_EQ(ingest_.wait_calls, 0);
}

// --- persons ----------------------------------------------------------------------------

PersonView FullPerson() {
  PersonView view;
  view.person = "P7";
  view.level = 1;
  view.exposed_at = kT0 + 30 * kMinute;
  view.via = {"P1", "P2"};
  CaseInfo info;
  info.sampled_at = kT0 + 2 * kDay;
  info.resulted_at = kT0 + 2 * kDay + 250;
  info.onset = std::nullopt;
  info.window = {kT0, kT0 + 3 * kDay};
  view.case_info = info;
  view.visits = {{"P7", "V1", kT0, kT0 + kHour, true}, {"P7", "V-2", kT0 + 2 * kHour, kT0 + 3 * kHour, false}};
  view.tests = {{"t-1", kT0 + kDay, std::nullopt, TestOutcome::kNegative, TestKind::kPcr},
                {"t-2", kT0 + 2 * kDay, kT0 + 2 * kDay + kHour, TestOutcome::kPositive,
                 TestKind::kUnspecified}};
  view.contacts = {{"P1", 0, "V1", kT0 + 30 * kMinute, kT0 + kHour}};
  return view;
}

TEST_F(RouterTest, PersonShape) {
  queries_.persons["P7"] = FullPerson();
  const HttpResponse response = Get("/v1/persons/P7");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"person":"P7","level":1,"exposed_at":"2026-11-20T08:30:00Z","via":["P1","P2"],)"
            R"("case":{"sampled_at":"2026-11-22T08:00:00Z","resulted_at":"2026-11-22T08:00:00.250Z",)"
            R"("onset":null,"window":{"start":"2026-11-20T08:00:00Z","end":"2026-11-23T08:00:00Z"}},)"
            R"("visits":[{"venue":"V1","start":"2026-11-20T08:00:00Z","end":"2026-11-20T09:00:00Z","checked_out":true},)"
            R"({"venue":"V-2","start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z","checked_out":false}],)"
            R"("tests":[{"id":"t-1","sampled_at":"2026-11-21T08:00:00Z","resulted_at":null,"result":"negative","kind":"pcr"},)"
            R"({"id":"t-2","sampled_at":"2026-11-22T08:00:00Z","resulted_at":"2026-11-22T09:00:00Z","result":"positive","kind":null}],)"
            R"("contacts":[{"person":"P1","level":0,"venue":"V1","start":"2026-11-20T08:30:00Z","end":"2026-11-20T09:00:00Z"}]})");
}

TEST_F(RouterTest, PersonWithNothing) {
  PersonView view;
  view.person = "P8";
  queries_.persons["P8"] = view;
  const HttpResponse response = Get("/v1/persons/P8");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"person":"P8","level":null,"exposed_at":null,"via":[],"case":null,"visits":[],)"
            R"("tests":[],"contacts":[]})");
}

TEST_F(RouterTest, PersonCaseWithOnsetAndLevelZero) {
  PersonView view;
  view.person = "P1";
  view.level = 0;
  CaseInfo info;
  info.sampled_at = kT0;
  info.onset = kT0 - kDay;
  info.window = {kT0 - 3 * kDay, kT0 + kDay};
  view.case_info = info;
  queries_.persons["P1"] = view;
  const HttpResponse response = Get("/v1/persons/P1");
  EXPECT_EQ(response.body,
            R"({"person":"P1","level":0,"exposed_at":null,"via":[],"case":{"sampled_at":"2026-11-20T08:00:00Z",)"
            R"("resulted_at":null,"onset":"2026-11-19T08:00:00Z","window":{"start":"2026-11-17T08:00:00Z",)"
            R"("end":"2026-11-21T08:00:00Z"}},"visits":[],"tests":[],"contacts":[]})");
}

TEST_F(RouterTest, PersonNotFound) {
  ExpectError(Get("/v1/persons/P404"), 404, "not_found");
  EXPECT_EQ(queries_.last_person, "P404");
}

TEST_F(RouterTest, PersonIdIsPercentDecoded) {
  PersonView view;
  view.person = "QR:P.7-x_y";
  queries_.persons["QR:P.7-x_y"] = view;
  EXPECT_EQ(Get("/v1/persons/QR%3AP%2e7-x_y").status, 200);
  EXPECT_EQ(queries_.last_person, "QR:P.7-x_y");
}

TEST_F(RouterTest, InvalidPersonIdsAre400) {
  ExpectError(Get("/v1/persons/P%2F7"), 400, "bad_request");   // "P/7"
  ExpectError(Get("/v1/persons/P%207"), 400, "bad_request");   // "P 7"
  ExpectError(Get("/v1/persons/P%C3%AD"), 400, "bad_request");  // non-ASCII
  ExpectError(Get("/v1/persons/" + std::string(65, 'a')), 400, "bad_request");
  EXPECT_EQ(queries_.last_person, "");  // the service was never asked
  queries_.persons[std::string(64, 'a')] = PersonView{.person = std::string(64, 'a')};
  EXPECT_EQ(Get("/v1/persons/" + std::string(64, 'a')).status, 200);
}

TEST_F(RouterTest, ServiceExceptionIs500) {
  queries_.throw_on_get_person = true;
  const HttpResponse response = Get("/v1/persons/P1");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"error":"internal","message":"internal error"})");
}

// --- exposed ----------------------------------------------------------------------------

void AddExposed(FakeQueryService& queries, int level, int count) {
  for (int i = 0; i < count; ++i) {
    queries.exposed[level].push_back(
        {"P" + std::to_string(10 + i), kT0 + i * kHour, {"P1"}});
  }
}

TEST_F(RouterTest, ExposedShape) {
  queries_.exposed[1] = {{"P2", kT0, {"P1"}}, {"P3", kT0 + kHour, {"P1", "P9"}}};
  const HttpResponse response = Get("/v1/exposed?level=1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"level":1,"persons":[{"person":"P2","exposed_at":"2026-11-20T08:00:00Z","via":["P1"]},)"
            R"({"person":"P3","exposed_at":"2026-11-20T09:00:00Z","via":["P1","P9"]}],"next_cursor":null})");
  EXPECT_EQ(queries_.last_level, 1);
  EXPECT_EQ(queries_.last_since, std::nullopt);
  EXPECT_EQ(queries_.last_after, "");
  EXPECT_EQ(queries_.last_limit, 100u);
}

TEST_F(RouterTest, ExposedEmpty) {
  const HttpResponse response = Get("/v1/exposed?level=2");
  EXPECT_EQ(response.body, R"({"level":2,"persons":[],"next_cursor":null})");
}

TEST_F(RouterTest, ExposedLevelBounds) {
  queries_.max_depth = 3;
  EXPECT_EQ(Get("/v1/exposed?level=3").status, 200);
  ExpectError(Get("/v1/exposed"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level="), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=0"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=4"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=-1"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=one"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=99999999999999999999"), 400, "bad_request");
}

TEST_F(RouterTest, ExposedSince) {
  AddExposed(queries_, 1, 3);
  HttpResponse response = Get("/v1/exposed?level=1&since=2026-11-20T16%3A00%3A00%2B07%3A00");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(queries_.last_since, kT0 + kHour);
  EXPECT_EQ(response.body,
            R"({"level":1,"persons":[{"person":"P11","exposed_at":"2026-11-20T09:00:00Z","via":["P1"]},)"
            R"({"person":"P12","exposed_at":"2026-11-20T10:00:00Z","via":["P1"]}],"next_cursor":null})");
  ExpectError(Get("/v1/exposed?level=1&since=yesterday"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=1&since="), 400, "bad_request");
}

TEST_F(RouterTest, ExposedPagingRoundTrip) {
  AddExposed(queries_, 1, 5);
  const std::vector<std::string> pages = AllPages("/v1/exposed?level=1&limit=2");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_NE(pages[0].find(R"("person":"P10")"), std::string::npos);
  EXPECT_NE(pages[0].find(R"("person":"P11")"), std::string::npos);
  EXPECT_NE(pages[1].find(R"("person":"P12")"), std::string::npos);
  EXPECT_NE(pages[1].find(R"("person":"P13")"), std::string::npos);
  EXPECT_NE(pages[2].find(R"("person":"P14")"), std::string::npos);
  EXPECT_EQ(pages[2].find(R"("person":"P13")"), std::string::npos);
  EXPECT_NE(pages[2].find(R"("next_cursor":null)"), std::string::npos);
  EXPECT_EQ(queries_.last_after, "P13");
  EXPECT_EQ(queries_.last_limit, 2u);
}

TEST_F(RouterTest, ExposedCursorIsScopedToItsLevel) {
  AddExposed(queries_, 1, 3);
  AddExposed(queries_, 2, 3);
  const std::string cursor = EncodeCursor("exposed:1", "P10");
  EXPECT_EQ(Get("/v1/exposed?level=1&cursor=" + cursor).status, 200);
  ExpectError(Get("/v1/exposed?level=2&cursor=" + cursor), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=1&cursor=" + EncodeCursor("cases", "P10")), 400,
              "bad_request");
  ExpectError(Get("/v1/exposed?level=1&cursor=%21%21"), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=1&cursor=P10"), 400, "bad_request");
  EXPECT_EQ(Get("/v1/exposed?level=1&cursor=").status, 200);  // empty: from the start
  EXPECT_EQ(queries_.last_after, "");
}

TEST_F(RouterTest, LimitBounds) {
  EXPECT_EQ(Get("/v1/cases?limit=1").status, 200);
  EXPECT_EQ(queries_.last_limit, 1u);
  EXPECT_EQ(Get("/v1/cases?limit=10000").status, 200);
  EXPECT_EQ(queries_.last_limit, 10000u);
  ExpectError(Get("/v1/cases?limit=10001"), 400, "bad_request");
  ExpectError(Get("/v1/cases?limit=0"), 400, "bad_request");
  ExpectError(Get("/v1/cases?limit=-5"), 400, "bad_request");
  ExpectError(Get("/v1/cases?limit=ten"), 400, "bad_request");
  ExpectError(Get("/v1/cases?limit="), 400, "bad_request");
  ExpectError(Get("/v1/exposed?level=1&limit=10001"), 400, "bad_request");
  ExpectError(Get("/v1/venues/V1/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&limit=0"),
              400, "bad_request");
}

TEST_F(RouterTest, PagingOptions) {
  options_.default_page_limit = 7;
  options_.max_page_limit = 50;
  EXPECT_EQ(Get("/v1/cases").status, 200);
  EXPECT_EQ(queries_.last_limit, 7u);
  EXPECT_EQ(Get("/v1/cases?limit=50").status, 200);
  ExpectError(Get("/v1/cases?limit=51"), 400, "bad_request");
}

// --- cases ------------------------------------------------------------------------------

TEST_F(RouterTest, CasesShapeAndPaging) {
  for (int i = 0; i < 3; ++i) {
    CaseEntry entry;
    entry.person = "C" + std::to_string(i);
    entry.info.sampled_at = kT0 + i * kDay;
    entry.info.window = {kT0 + i * kDay - 2 * kDay, kT0 + i * kDay + kDay};
    if (i > 0) entry.linked_from = {"C" + std::to_string(i - 1)};
    queries_.cases.push_back(entry);
  }
  HttpResponse response = Get("/v1/cases");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"cases":[{"person":"C0","sampled_at":"2026-11-20T08:00:00Z","window":{"start":"2026-11-18T08:00:00Z","end":"2026-11-21T08:00:00Z"},"linked_from":[]},)"
            R"({"person":"C1","sampled_at":"2026-11-21T08:00:00Z","window":{"start":"2026-11-19T08:00:00Z","end":"2026-11-22T08:00:00Z"},"linked_from":["C0"]},)"
            R"({"person":"C2","sampled_at":"2026-11-22T08:00:00Z","window":{"start":"2026-11-20T08:00:00Z","end":"2026-11-23T08:00:00Z"},"linked_from":["C1"]}],)"
            R"("next_cursor":null})");

  response = Get("/v1/cases?limit=2");
  const std::string cursor = EncodeCursor("cases", "C1");
  EXPECT_NE(response.body.find(R"("next_cursor":")" + cursor + "\""), std::string::npos)
      << response.body;
  response = Get("/v1/cases?limit=2&cursor=" + cursor);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(queries_.last_after, "C1");
  EXPECT_EQ(response.body,
            R"({"cases":[{"person":"C2","sampled_at":"2026-11-22T08:00:00Z","window":{"start":"2026-11-20T08:00:00Z","end":"2026-11-23T08:00:00Z"},"linked_from":["C1"]}],)"
            R"("next_cursor":null})");
  EXPECT_EQ(AllPages("/v1/cases?limit=1").size(), 3u);
}

// --- chains -----------------------------------------------------------------------------

TEST_F(RouterTest, ChainShape) {
  ChainView chain;
  chain.root = "P1";
  chain.nodes = {{"P1", 0, std::nullopt, true}, {"P2", 1, kT0 + kHour, false}};
  chain.edges = {{"P1", "P2", "V1", kT0 + kHour, kT0 + 2 * kHour}};
  queries_.chains["P1"] = chain;
  const HttpResponse response = Get("/v1/cases/P1/chain");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"root":"P1","nodes":[{"person":"P1","level":0,"exposed_at":null,"is_case":true},)"
            R"({"person":"P2","level":1,"exposed_at":"2026-11-20T09:00:00Z","is_case":false}],)"
            R"("edges":[{"from":"P1","to":"P2","venue":"V1","start":"2026-11-20T09:00:00Z","end":"2026-11-20T10:00:00Z"}]})");
  EXPECT_EQ(queries_.last_depth, 2);  // MaxDepth()
}

TEST_F(RouterTest, ChainDepth) {
  queries_.chains["P1"] = ChainView{.root = "P1"};
  EXPECT_EQ(Get("/v1/cases/P1/chain?depth=5").status, 200);
  EXPECT_EQ(queries_.last_depth, 5);
  EXPECT_EQ(Get("/v1/cases/P1/chain?depth=1").status, 200);
  EXPECT_EQ(queries_.last_depth, 1);
  ExpectError(Get("/v1/cases/P1/chain?depth=0"), 400, "bad_request");
  ExpectError(Get("/v1/cases/P1/chain?depth=6"), 400, "bad_request");
  ExpectError(Get("/v1/cases/P1/chain?depth=x"), 400, "bad_request");
  queries_.max_depth = 4;
  EXPECT_EQ(Get("/v1/cases/P1/chain").status, 200);
  EXPECT_EQ(queries_.last_depth, 4);
  EXPECT_EQ(Get("/v1/cases/P1/chain").body, R"({"root":"P1","nodes":[],"edges":[]})");
}

TEST_F(RouterTest, ChainNotACase) {
  ExpectError(Get("/v1/cases/P9/chain"), 404, "not_found");
  EXPECT_EQ(queries_.last_person, "P9");
  ExpectError(Get("/v1/cases/P%209/chain"), 400, "bad_request");
}

// --- clusters ---------------------------------------------------------------------------

TEST_F(RouterTest, ClustersShape) {
  EXPECT_EQ(Get("/v1/clusters").body, R"({"clusters":[]})");
  queries_.clusters = {{"A", {"A", "B", "C"}, {{"A", "B"}, {"B", "C"}}, {"V1", "V2"}},
                       {"D", {"D"}, {}, {}}};
  const HttpResponse response = Get("/v1/clusters");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"clusters":[{"id":"A","cases":["A","B","C"],"links":[{"from":"A","to":"B"},{"from":"B","to":"C"}],"venues":["V1","V2"]},)"
            R"({"id":"D","cases":["D"],"links":[],"venues":[]}]})");
}

// --- venue visits -----------------------------------------------------------------------

void AddVisits(FakeQueryService& queries, const std::string& venue, int count) {
  for (int i = 0; i < count; ++i) {
    queries.venue_visits[venue].push_back(
        {"P" + std::to_string(i), venue, kT0 + (i / 2) * kHour, kT0 + (i / 2 + 1) * kHour, i % 2 == 0});
  }
}

TEST_F(RouterTest, VenueVisitsShape) {
  AddVisits(queries_, "V:1", 2);
  const HttpResponse response =
      Get("/v1/venues/V%3A1/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"venue":"V:1","visits":[{"person":"P0","start":"2026-11-20T08:00:00Z","end":"2026-11-20T09:00:00Z","checked_out":true},)"
            R"({"person":"P1","start":"2026-11-20T08:00:00Z","end":"2026-11-20T09:00:00Z","checked_out":false}],"next_cursor":null})");
  EXPECT_EQ(queries_.last_venue, "V:1");
  EXPECT_EQ(queries_.last_from, 1795132800000);  // 2026-11-20T00:00:00Z
  EXPECT_EQ(queries_.last_to, 1795132800000 + kDay);
}

TEST_F(RouterTest, VenueVisitsParameters) {
  const std::string base = "/v1/venues/V1/visits";
  ExpectError(Get(base), 400, "bad_request");
  ExpectError(Get(base + "?from=2026-11-20T00:00:00Z"), 400, "bad_request");
  ExpectError(Get(base + "?to=2026-11-20T00:00:00Z"), 400, "bad_request");
  ExpectError(Get(base + "?from=2026-11-20&to=2026-11-21"), 400, "bad_request");
  ExpectError(Get(base + "?from=2026-11-20T00:00:00Z&to=2026-11-20T00:00:00Z"), 400,
              "bad_request");
  ExpectError(Get(base + "?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z"), 400,
              "bad_request");
  ExpectError(Get("/v1/venues/V%201/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z"),
              400, "bad_request");
  EXPECT_EQ(queries_.last_venue, "");
  EXPECT_EQ(Get(base + "?from=2026-11-20T00:00:00Z&to=2026-11-20T00:00:00.001Z").status, 200);
}

TEST_F(RouterTest, VenueVisitsPagingWithBinaryKeys) {
  AddVisits(queries_, "V1", 5);
  const std::string first = "/v1/venues/V1/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&limit=2";
  const std::vector<std::string> pages = AllPages(first);
  ASSERT_EQ(pages.size(), 3u);
  std::string all;
  for (const std::string& page : pages) all += page;
  for (int i = 0; i < 5; ++i) {
    const std::string needle = "\"person\":\"P" + std::to_string(i) + "\"";
    const size_t at = all.find(needle);
    EXPECT_NE(at, std::string::npos) << i;
    EXPECT_EQ(all.find(needle, at + 1), std::string::npos) << "P" << i << " twice";
  }
  // A cursor of another venue is refused.
  const HttpResponse page1 = Get(first);
  const size_t at = page1.body.find("\"next_cursor\":\"") + 15;
  const std::string cursor = page1.body.substr(at, page1.body.find('"', at) - at);
  ExpectError(Get("/v1/venues/V2/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&cursor=" + cursor),
              400, "bad_request");
}

// --- stats and metrics ------------------------------------------------------------------

StatsView SomeStats() {
  StatsView stats;
  stats.events = {{"checkin.accepted", 3}, {"rejected.too_old", 1}};
  stats.persons_by_level = {{0, 2}, {1, 5}, {2, 9}};
  stats.cases = 2;
  stats.visits = 40;
  stats.log_end = 120;
  stats.applied = 100;
  stats.now = 1795737600000;  // 2026-11-27T00:00:00Z
  stats.uptime = 3 * kHour + 999;
  return stats;
}

TEST_F(RouterTest, StatsShape) {
  queries_.stats = SomeStats();
  const HttpResponse response = Get("/v1/stats");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"events":{"checkin.accepted":3,"rejected.too_old":1},"persons_by_level":{"0":2,"1":5,"2":9},)"
            R"("cases":2,"visits":40,"log_end":120,"applied":100,"lag":20,"uptime_seconds":10800,)"
            R"("now":"2026-11-27T00:00:00Z"})");
}

TEST_F(RouterTest, StatsEmpty) {
  const HttpResponse response = Get("/v1/stats");
  EXPECT_EQ(response.body,
            R"({"events":{},"persons_by_level":{},"cases":0,"visits":0,"log_end":0,"applied":0,"lag":0,)"
            R"("uptime_seconds":0,"now":"1970-01-01T00:00:00Z"})");
}

TEST_F(RouterTest, Metrics) {
  queries_.stats = SomeStats();
  Get("/healthz");
  Get("/healthz");
  Get("/v1/persons/P404");
  Get("/nowhere");
  const HttpResponse response = Get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response.body;
  for (const std::string line : {
           "# TYPE ctrace_events_total counter",
           "ctrace_events_total{event=\"checkin.accepted\"} 3",
           "ctrace_events_total{event=\"rejected.too_old\"} 1",
           "ctrace_persons{level=\"1\"} 5",
           "ctrace_cases 2",
           "ctrace_visits 40",
           "ctrace_log_end_position 120",
           "ctrace_applied_position 100",
           "ctrace_apply_lag_events 20",
           "ctrace_uptime_seconds 10800.999",
           "# TYPE ctrace_http_requests_total counter",
           "ctrace_http_requests_total{route=\"/healthz\",code=\"200\"} 2",
           "ctrace_http_requests_total{route=\"/v1/persons/{person}\",code=\"404\"} 1",
           "ctrace_http_requests_total{route=\"unmatched\",code=\"404\"} 1",
           "# TYPE ctrace_http_request_duration_seconds histogram",
           "ctrace_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2",
           "ctrace_http_request_duration_seconds_count{route=\"/healthz\"} 2",
           "ctrace_http_request_duration_seconds_bucket{route=\"/v1/persons/{person}\",le=\"10\"} 1",
       }) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n---\n" << text;
  }
  EXPECT_NE(text.find("ctrace_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} "),
            std::string::npos);
  EXPECT_NE(text.find("ctrace_http_request_duration_seconds_sum{route=\"/healthz\"} "),
            std::string::npos);
  // The person id asked for never appears.
  EXPECT_EQ(text.find("P404"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(router().metrics().RequestCount(RouteId::kMetrics, 200), 1u);
  Get("/metrics");
  EXPECT_EQ(router().metrics().RequestCount(RouteId::kMetrics, 200), 2u);
}

TEST_F(RouterTest, MetricsShowOldestEventEraseAndAlerts) {
  queries_.stats = SomeStats();
  Get("/metrics");
  std::string text = Get("/metrics").body;
  EXPECT_NE(text.find("ctrace_alerts_next_seq 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("ctrace_oldest_event_timestamp_seconds"), std::string::npos) << text;
  EXPECT_EQ(text.find("ctrace_erase_last"), std::string::npos) << text;
  EXPECT_NE(text.find("ctrace_alert_streams_open 0\n"), std::string::npos) << text;

  queries_.stats.oldest_event_time = kT0 + 250;
  queries_.stats.last_erase = EraseStats{kT0 + 3'600'000, 1'500, 42, 123'456};
  queries_.stats.alerts_next_seq = 1043;
  router().stream_metrics().Opened();
  router().stream_metrics().FrameSent();
  router().stream_metrics().ClosedSlow();
  text = Get("/metrics").body;
  for (const std::string line : {
           "ctrace_alerts_next_seq 1043",
           "# TYPE ctrace_oldest_event_timestamp_seconds gauge",
           "ctrace_oldest_event_timestamp_seconds 1795161600.25",
           "ctrace_erase_last_timestamp_seconds 1795165200",
           "ctrace_erase_last_duration_seconds 1.5",
           "ctrace_erase_last_bytes_reclaimed 123456",
           "ctrace_erase_last_erased_events 42",
           "ctrace_alert_streams_open 1",
           "ctrace_alert_frames_sent_total 1",
           "ctrace_alert_streams_closed_slow_total 1",
       }) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n---\n" << text;
  }
}

TEST_F(RouterTest, MetricsEndWithTheExtraFigures) {
  queries_.stats = SomeStats();
  options_.extra_metrics = [](std::string* out) { out->append("ctrace_alerts_produced_total 7\n"); };
  const std::string text = Get("/metrics").body;
  EXPECT_NE(text.find("ctrace_alert_streams_open"), std::string::npos) << text;
  const std::string tail = "ctrace_alerts_produced_total 7\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << text;
}

// --- alerts, hotspots, erase ------------------------------------------------------------

AlertView MakeAlert(AlertType type) {
  AlertView alert;
  alert.at = kT0;
  alert.type = type;
  return alert;
}

TEST_F(RouterTest, AlertsOfEveryTypeHaveTheirFieldsOnly) {
  AlertView case_new = MakeAlert(AlertType::kCaseNew);
  case_new.person = "P1";
  case_new.sampled_at = kT0 - 3'600'000;
  case_new.level = 7;  // not a field of case.new: must not show
  AlertView exposure_new = MakeAlert(AlertType::kExposureNew);
  exposure_new.person = "P2";
  exposure_new.level = 1;
  exposure_new.exposed_at = kT0 - 60'000;
  exposure_new.via = {"P1"};
  AlertView exposure_changed = exposure_new;
  exposure_changed.type = AlertType::kExposureChanged;
  exposure_changed.level = 2;
  exposure_changed.via = {"P3", "P4"};
  AlertView retracted = MakeAlert(AlertType::kExposureRetracted);
  retracted.person = "P2";
  retracted.was_level = 2;
  AlertView cluster_changed = MakeAlert(AlertType::kClusterChanged);
  cluster_changed.id = "P1";
  cluster_changed.cases = {"P1", "P5"};
  AlertView dissolved = MakeAlert(AlertType::kClusterDissolved);
  dissolved.id = "P1";
  AlertView hotspot = MakeAlert(AlertType::kVenueHotspot);
  hotspot.venue = "V\"1";
  hotspot.cases = {"P1", "P5", "P6"};
  for (const AlertView& alert :
       {case_new, exposure_new, exposure_changed, retracted, cluster_changed, dissolved, hotspot}) {
    queries_.AppendAlert(alert);
  }

  const HttpResponse response = Get("/v1/alerts?since=0&limit=10");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"alerts":[)"
            R"({"seq":1,"at":"2026-11-20T08:00:00Z","type":"case.new","person":"P1","sampled_at":"2026-11-20T07:00:00Z"},)"
            R"({"seq":2,"at":"2026-11-20T08:00:00Z","type":"exposure.new","person":"P2","level":1,"exposed_at":"2026-11-20T07:59:00Z","via":["P1"]},)"
            R"({"seq":3,"at":"2026-11-20T08:00:00Z","type":"exposure.changed","person":"P2","level":2,"exposed_at":"2026-11-20T07:59:00Z","via":["P3","P4"]},)"
            R"({"seq":4,"at":"2026-11-20T08:00:00Z","type":"exposure.retracted","person":"P2","was_level":2},)"
            R"({"seq":5,"at":"2026-11-20T08:00:00Z","type":"cluster.changed","id":"P1","cases":["P1","P5"]},)"
            R"({"seq":6,"at":"2026-11-20T08:00:00Z","type":"cluster.dissolved","id":"P1"},)"
            R"({"seq":7,"at":"2026-11-20T08:00:00Z","type":"venue.hotspot","venue":"V\"1","cases":["P1","P5","P6"]})"
            R"(],"next_seq":7})");
}

TEST_F(RouterTest, AlertsPageBySince) {
  for (int i = 0; i < 5; ++i) {
    AlertView alert = MakeAlert(AlertType::kClusterDissolved);
    alert.id = "C" + std::to_string(i);
    queries_.AppendAlert(alert);
  }
  EXPECT_EQ(Get("/v1/alerts?since=1&limit=2").body,
            R"({"alerts":[{"seq":2,"at":"2026-11-20T08:00:00Z","type":"cluster.dissolved","id":"C1"},)"
            R"({"seq":3,"at":"2026-11-20T08:00:00Z","type":"cluster.dissolved","id":"C2"}],"next_seq":3})");
  EXPECT_EQ(queries_.max_alert_limit, 2u);
  // At the end: no alerts, next_seq stays at since.
  EXPECT_EQ(Get("/v1/alerts?since=5").body, R"({"alerts":[],"next_seq":5})");
  EXPECT_EQ(Get("/v1/alerts?since=99").body, R"({"alerts":[],"next_seq":99})");
  // Defaults: since 0, limit default_page_limit.
  EXPECT_NE(Get("/v1/alerts").body.find(R"("next_seq":5})"), std::string::npos);
  EXPECT_EQ(queries_.max_alert_limit, 100u);

  ExpectError(Get("/v1/alerts?since=-1"), 400, "bad_request");
  ExpectError(Get("/v1/alerts?since=x"), 400, "bad_request");
  ExpectError(Get("/v1/alerts?limit=0"), 400, "bad_request");
  ExpectError(Get("/v1/alerts?limit=10001"), 400, "bad_request");
  ExpectError(Call("POST", "/v1/alerts"), 405, "method_not_allowed");
}

TEST_F(RouterTest, Hotspots) {
  EXPECT_EQ(Get("/v1/hotspots").body, R"({"hotspots":[]})");
  queries_.hotspots = {{"V1", {"P1", "P2", "P3"}, kT0}, {"V2", {"P4", "P5", "P6"}, kT0 + 1}};
  EXPECT_EQ(Get("/v1/hotspots").body,
            R"({"hotspots":[{"venue":"V1","cases":["P1","P2","P3"],"since":"2026-11-20T08:00:00Z"},)"
            R"({"venue":"V2","cases":["P4","P5","P6"],"since":"2026-11-20T08:00:00.001Z"}]})");
}

TEST_F(RouterTest, StreamPathWithoutUpgradeIs400) {
  const HttpResponse response = Get("/v1/alerts/stream?since=3");
  ExpectError(response, 400, "bad_request");
}

TEST_F(RouterTest, AdmitAlertStream) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/alerts/stream?since=42";
  StreamAdmission admission = router().AdmitAlertStream(request);
  EXPECT_EQ(admission.verdict, StreamAdmission::Verdict::kAccepted);
  EXPECT_EQ(admission.since, 42u);
  EXPECT_EQ(router().metrics().RequestCount(RouteId::kAlertStream, 101), 1u);

  request.target = "/v1/alerts/stream";
  admission = router().AdmitAlertStream(request);
  EXPECT_EQ(admission.verdict, StreamAdmission::Verdict::kAccepted);
  EXPECT_EQ(admission.since, 0u);

  request.target = "/v1/alerts/stream?since=-3";
  admission = router().AdmitAlertStream(request);
  ASSERT_EQ(admission.verdict, StreamAdmission::Verdict::kRefused);
  ExpectError(*admission.refusal, 400, "bad_request");

  request.target = "/v1/alerts";
  EXPECT_EQ(router().AdmitAlertStream(request).verdict, StreamAdmission::Verdict::kNotAStream);
  request.target = "/v1/alerts/stream/x";
  EXPECT_EQ(router().AdmitAlertStream(request).verdict, StreamAdmission::Verdict::kNotAStream);
}

TEST_F(RouterTest, AlertStreamIsAuthorizedAsDashboardBeforeItsParameters) {
  std::vector<RouteClass> seen;
  options_.authorize = [&](const HttpRequest& request,
                           RouteClass route_class) -> std::optional<HttpResponse> {
    seen.push_back(route_class);
    if (request.authorization != "Bearer dash") return ErrorResponse(401, "a bearer token is required");
    return std::nullopt;
  };
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/alerts/stream?since=banana";
  StreamAdmission admission = router().AdmitAlertStream(request);
  ASSERT_EQ(admission.verdict, StreamAdmission::Verdict::kRefused);
  ExpectError(*admission.refusal, 401, "unauthorized");
  request.authorization = "Bearer dash";
  admission = router().AdmitAlertStream(request);
  ASSERT_EQ(admission.verdict, StreamAdmission::Verdict::kRefused);
  ExpectError(*admission.refusal, 400, "bad_request");
  EXPECT_EQ(seen, (std::vector<RouteClass>{RouteClass::kDashboard, RouteClass::kDashboard}));
}

TEST_F(RouterTest, ReadAlertFramesPagesAfterSince) {
  for (int i = 0; i < 5; ++i) {
    AlertView alert = MakeAlert(AlertType::kCaseNew);
    alert.person = "P" + std::to_string(i);
    alert.sampled_at = kT0;
    queries_.AppendAlert(alert);
  }
  std::vector<AlertFrame> frames = router().ReadAlertFrames(2, 2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].seq, 3u);
  EXPECT_EQ(frames[0].text,
            R"({"seq":3,"at":"2026-11-20T08:00:00Z","type":"case.new","person":"P2","sampled_at":"2026-11-20T08:00:00Z"})");
  EXPECT_EQ(frames[1].seq, 4u);
  EXPECT_EQ(router().ReadAlertFrames(4, 10).size(), 1u);
  EXPECT_TRUE(router().ReadAlertFrames(5, 10).empty());
}

TEST_F(RouterTest, EraseRunsThePassAndAnswersItsFigures) {
  ExpectError(Call("POST", "/v1/admin/erase"), 503, "not_ready");  // no erase configured
  router_.reset();
  std::chrono::milliseconds seen_timeout{0};
  options_.erase_timeout = std::chrono::milliseconds(1234);
  options_.erase = [&](std::chrono::milliseconds timeout,
                       std::string*) -> std::optional<EraseResult> {
    seen_timeout = timeout;
    return EraseResult{10, 12, 3, 4096, 250};
  };
  const HttpResponse response = Call("POST", "/v1/admin/erase");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"erased_events":10,"bytes_reclaimed":4096,"erased_log_events":12,"erased_alerts":3,"duration_ms":250})");
  EXPECT_EQ(seen_timeout, std::chrono::milliseconds(1234));
  ExpectError(Get("/v1/admin/erase"), 405, "method_not_allowed");

  router_.reset();
  options_.erase = [](std::chrono::milliseconds, std::string* error) -> std::optional<EraseResult> {
    *error = "disk full";
    return std::nullopt;
  };
  const HttpResponse failed = Call("POST", "/v1/admin/erase");
  ExpectError(failed, 503, "not_ready");
  EXPECT_NE(failed.body.find("disk full"), std::string::npos);
}

// --- authorization ----------------------------------------------------------------------

TEST_F(RouterTest, EveryRouteHasItsClass) {
  std::vector<std::pair<std::string, RouteClass>> seen;
  options_.authorize = [&](const HttpRequest& request,
                           RouteClass route_class) -> std::optional<HttpResponse> {
    seen.emplace_back(request.method + " " + request.target, route_class);
    return std::nullopt;
  };
  Call("POST", "/v1/events", "application/x-ndjson", "");
  Get("/v1/persons/P1");
  Get("/v1/exposed?level=1");
  Get("/v1/cases");
  Get("/v1/cases/P1/chain");
  Get("/v1/clusters");
  Get("/v1/venues/V1/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z");
  Get("/v1/hotspots");
  Get("/v1/alerts?since=1");
  Get("/v1/alerts/stream");
  Call("POST", "/v1/admin/erase");
  Get("/v1/stats");
  Get("/metrics");
  Get("/healthz");
  Get("/readyz");
  Get("/nowhere");               // no route: no authorization asked
  Call("DELETE", "/v1/cases");   // 405: neither
  const std::vector<std::pair<std::string, RouteClass>> expected = {
      {"POST /v1/events", RouteClass::kIngest},
      {"GET /v1/persons/P1", RouteClass::kPersonalData},
      {"GET /v1/exposed?level=1", RouteClass::kPersonalData},
      {"GET /v1/cases", RouteClass::kPersonalData},
      {"GET /v1/cases/P1/chain", RouteClass::kPersonalData},
      {"GET /v1/clusters", RouteClass::kDashboard},
      {"GET /v1/venues/V1/visits?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z",
       RouteClass::kPersonalData},
      {"GET /v1/hotspots", RouteClass::kDashboard},
      {"GET /v1/alerts?since=1", RouteClass::kDashboard},
      {"GET /v1/alerts/stream", RouteClass::kDashboard},
      {"POST /v1/admin/erase", RouteClass::kOps},
      {"GET /v1/stats", RouteClass::kStats},
      {"GET /metrics", RouteClass::kOps},
      {"GET /healthz", RouteClass::kPublic},
      {"GET /readyz", RouteClass::kOps},
  };
  EXPECT_EQ(seen, expected);
}

TEST_F(RouterTest, DeniedRequestsGetTheHooksAnswerBeforeValidation) {
  options_.authorize = [](const HttpRequest& request,
                          RouteClass route_class) -> std::optional<HttpResponse> {
    if (route_class == RouteClass::kPublic) return std::nullopt;
    if (request.authorization.empty()) return ErrorResponse(401, "a bearer token is required");
    if (request.authorization != "Bearer epi") return ErrorResponse(403, "role not allowed");
    return std::nullopt;
  };
  ExpectError(Get("/v1/persons/P1"), 401, "unauthorized");
  ExpectError(Get("/v1/exposed?level=banana"), 401, "unauthorized");  // not 400
  EXPECT_EQ(queries_.last_person, "");
  EXPECT_EQ(Get("/healthz").status, 200);

  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/persons/P1";
  request.authorization = "Bearer dash";
  ExpectError(router().Handle(request), 403, "forbidden");
  request.authorization = "Bearer epi";
  ExpectError(router().Handle(request), 404, "not_found");
  EXPECT_EQ(queries_.last_person, "P1");

  HttpRequest post;
  post.method = "POST";
  post.target = "/v1/events";
  post.content_type = "application/x-ndjson";
  ExpectError(router().Handle(post), 401, "unauthorized");
  EXPECT_EQ(ingest_.ingest_calls, 0);
}

TEST(RouteClassTest, Names) {
  EXPECT_EQ(RouteClassName(RouteClass::kPublic), "public");
  EXPECT_EQ(RouteClassName(RouteClass::kPersonalData), "personal_data");
  EXPECT_EQ(RouteClassName(RouteClass::kOps), "ops");
}

TEST(ErrorResponseTest, CodesAndEscaping) {
  const HttpResponse response = ErrorResponse(413, "over \"64 MiB\"");
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"error":"too_large","message":"over \"64 MiB\""})");
  EXPECT_EQ(ErrorCodeForStatus(400), "bad_request");
  EXPECT_EQ(ErrorCodeForStatus(401), "unauthorized");
  EXPECT_EQ(ErrorCodeForStatus(403), "forbidden");
  EXPECT_EQ(ErrorCodeForStatus(404), "not_found");
  EXPECT_EQ(ErrorCodeForStatus(405), "method_not_allowed");
  EXPECT_EQ(ErrorCodeForStatus(415), "unsupported_media_type");
  EXPECT_EQ(ErrorCodeForStatus(429), "overloaded");
  EXPECT_EQ(ErrorCodeForStatus(503), "not_ready");
  EXPECT_EQ(ErrorCodeForStatus(500), "internal");
}

}  // namespace
}  // namespace ctrace
