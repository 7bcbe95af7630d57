#include "ingest/event_decoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ctrace {
namespace {

// The examples' fixed clock, 2026-11-27T00:00:00Z.
const TimeMs kNow = 1795737600 * kSecond;

TimeMs T(std::string_view rfc3339) {
  const std::optional<TimeMs> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

std::string TestDataDir() {
  if (const char* dir = std::getenv("CTRACE_TESTDATA"); dir != nullptr && *dir != '\0') return dir;
  return CTRACE_DEFAULT_TESTDATA;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class EventDecoderTest : public ::testing::Test {
 protected:
  DecodeOutcome Decode(std::string_view json) { return decoder_.Decode(json, kNow, params_); }

  // The reason code, or "ok" when accepted.
  std::string Reason(std::string_view json) {
    const DecodeOutcome outcome = Decode(json);
    if (outcome.event) {
      EXPECT_TRUE(outcome.reason.empty());
      return "ok";
    }
    EXPECT_FALSE(outcome.reason.empty());
    return outcome.reason;
  }

  EventDecoder decoder_;
  TracingParams params_;
};

// A check-in with every field spelled out, for edits by the tests.
std::string Checkin(std::string_view id, std::string_view person, std::string_view venue,
                    std::string_view ts) {
  return R"({"type":"checkin","id":")" + std::string(id) + R"(","person":")" +
         std::string(person) + R"(","venue":")" + std::string(venue) + R"(","ts":")" +
         std::string(ts) + R"("})";
}

std::string CheckinAt(std::string_view ts) { return Checkin("c-1", "P001", "V-1", ts); }

// ---------------------------------------------------------------------------------------------
// Example 05: every line, judged against the expected rejections.

TEST_F(EventDecoderTest, Example05BadInput) {
  const std::string ndjson = ReadFile(TestDataDir() + "/examples/05-bad-input.ndjson");
  const simdjson::padded_string expected_json =
      simdjson::padded_string::load(TestDataDir() + "/examples/05-bad-input.expected.json");
  simdjson::dom::parser parser;
  const simdjson::dom::element expected = parser.parse(expected_json);

  EXPECT_EQ(FormatUtc(kNow), std::string_view(expected["now"].get_string().value()));
  std::map<size_t, std::string> expected_reasons;
  for (simdjson::dom::element rejection : expected["rejected"].get_array()) {
    expected_reasons[static_cast<size_t>(rejection["line"].get_int64().value())] =
        std::string(rejection["reason"].get_string().value());
  }
  // The decoder does not know about duplicates: those lines decode as accepted events.
  const int64_t expected_valid =
      expected["accepted"].get_int64().value() + expected["duplicates"].get_int64().value();

  std::vector<BodyItem> items;
  std::string error;
  ASSERT_TRUE(SplitBody(ndjson, BodyFormat::kNdjson, &items, &error));
  ASSERT_EQ(items.size(), 15u);

  std::map<size_t, Event> accepted;
  for (const BodyItem& item : items) {
    const DecodeOutcome outcome = Decode(item.text);
    const auto rejection = expected_reasons.find(item.line);
    if (rejection == expected_reasons.end()) {
      EXPECT_TRUE(outcome.event) << "line " << item.line << ": " << outcome.reason;
      if (outcome.event) accepted[item.line] = *outcome.event;
    } else {
      EXPECT_FALSE(outcome.event) << "line " << item.line;
      EXPECT_EQ(outcome.reason, rejection->second) << "line " << item.line;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(accepted.size()), expected_valid);

  Event b1;
  b1.type = EventType::kCheckin;
  b1.id = "b1";
  b1.person = "A";
  b1.venue = "CAFE";
  b1.time = T("2026-11-20T08:00:00Z");
  EXPECT_EQ(accepted[1], b1);
  EXPECT_EQ(accepted[2], b1);
  Event b13 = b1;
  b13.id = "b13";
  b13.time = T("2026-11-20T09:00:00Z");
  EXPECT_EQ(accepted[15], b13);  // the unknown "extra" object is ignored
}

TEST_F(EventDecoderTest, Example05ReportsIdsWhenReadable) {
  EXPECT_EQ(Decode(R"({"type":"teleport","id":"b5","person":"A"})").id, "b5");
  EXPECT_EQ(Decode(R"({"type":"checkin","id":"b12","person":"A","venue":"CAFE","ts":1763625600})").id,
            "b12");
  EXPECT_EQ(Decode("[1,2,3]").id, "");
  EXPECT_EQ(Decode(R"({"type":"checkin","id":"b10","person":"A")").id, "");
}

// ---------------------------------------------------------------------------------------------
// Accepted events of each type.

TEST_F(EventDecoderTest, DecodesTheContractExamples) {
  DecodeOutcome outcome = Decode(
      R"({"type":"checkin","id":"c-1","person":"P001","venue":"V-MARKET-7","ts":"2026-11-20T08:15:00+07:00"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.id, "c-1");
  EXPECT_EQ(outcome.event->type, EventType::kCheckin);
  EXPECT_EQ(outcome.event->id, "c-1");
  EXPECT_EQ(outcome.event->person, "P001");
  EXPECT_EQ(outcome.event->venue, "V-MARKET-7");
  EXPECT_EQ(outcome.event->time, T("2026-11-20T01:15:00Z"));
  EXPECT_EQ(outcome.event->source, "");

  outcome = Decode(
      R"({"type":"checkout","id":"c-2","person":"P001","venue":"V-MARKET-7","ts":"2026-11-20T09:05:00+07:00","source":"app-2.1"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->type, EventType::kCheckout);
  EXPECT_EQ(outcome.event->time, T("2026-11-20T02:05:00Z"));
  EXPECT_EQ(outcome.event->source, "app-2.1");

  outcome = Decode(
      R"({"type":"test_result","id":"t-1","person":"P001","sampled_at":"2026-11-22T10:00:00Z","resulted_at":"2026-11-23T02:00:00Z","result":"positive","kind":"pcr","lab":"HCDC-LAB-2"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->type, EventType::kTestResult);
  EXPECT_EQ(outcome.event->time, T("2026-11-22T10:00:00Z"));
  EXPECT_EQ(outcome.event->resulted_at, T("2026-11-23T02:00:00Z"));
  EXPECT_EQ(outcome.event->result, TestOutcome::kPositive);
  EXPECT_EQ(outcome.event->kind, TestKind::kPcr);
  EXPECT_EQ(outcome.event->lab, "HCDC-LAB-2");

  outcome = Decode(
      R"({"type":"declaration","id":"d-1","person":"P001","ts":"2026-11-22T09:00:00Z","onset":"2026-11-21T00:00:00Z","symptoms":["fever","cough"]})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->type, EventType::kDeclaration);
  EXPECT_EQ(outcome.event->time, T("2026-11-22T09:00:00Z"));
  EXPECT_EQ(outcome.event->onset, T("2026-11-21T00:00:00Z"));
  EXPECT_EQ(outcome.event->symptoms, (std::vector<std::string>{"fever", "cough"}));
}

TEST_F(EventDecoderTest, OptionalFieldsDefaultWhenAbsent) {
  DecodeOutcome outcome = Decode(
      R"({"type":"test_result","id":"t","person":"P","sampled_at":"2026-11-22T10:00:00Z","result":"negative"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->result, TestOutcome::kNegative);
  EXPECT_FALSE(outcome.event->resulted_at);
  EXPECT_EQ(outcome.event->kind, TestKind::kUnspecified);
  EXPECT_EQ(outcome.event->lab, "");

  outcome = Decode(
      R"({"type":"test_result","id":"t","person":"P","sampled_at":"2026-11-22T10:00:00Z","result":"negative","kind":"antigen"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->kind, TestKind::kAntigen);

  outcome = Decode(R"({"type":"declaration","id":"d","person":"P","ts":"2026-11-22T09:00:00Z"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_FALSE(outcome.event->onset);
  EXPECT_TRUE(outcome.event->symptoms.empty());
}

TEST_F(EventDecoderTest, NullCountsAsAbsent) {
  DecodeOutcome outcome = Decode(
      R"({"type":"test_result","id":"t","person":"P","source":null,"sampled_at":"2026-11-22T10:00:00Z","result":"negative","resulted_at":null,"kind":null,"lab":null})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_FALSE(outcome.event->resulted_at);
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","person":null,"venue":"V","ts":"2026-11-22T09:00:00Z"})"),
            "missing_field:person");
  EXPECT_EQ(Reason(R"({"type":null,"id":"c"})"), "unknown_type");
}

TEST_F(EventDecoderTest, FieldOrderAndWhiteSpaceDoNotMatter) {
  const DecodeOutcome outcome = Decode(
      " \t{ \"ts\" : \"2026-11-20T08:00:00Z\" ,\n \"venue\":\"V\", \"person\":\"P\",\"id\":\"c\","
      "\"type\":\"checkin\", \"extra\": [1, {\"deep\": [null, true]}], \"more\": 1.5e300 }\r\n ");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->venue, "V");
}

TEST_F(EventDecoderTest, UnicodeEscapesAreDecoded) {
  const DecodeOutcome outcome =
      Decode(R"({"type":"checkin","id":"c\u002d1","person":"P\u0041","venue":"V","ts":"2026-11-20T08:00:00Z","source":"H\u00e0 N\u1ed9i"})");
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->id, "c-1");
  EXPECT_EQ(outcome.event->person, "PA");
  EXPECT_EQ(outcome.event->source, "H\xc3\xa0 N\xe1\xbb\x99i");
}

// ---------------------------------------------------------------------------------------------
// too_large

TEST_F(EventDecoderTest, SizeLimitIsSixteenKibInclusive) {
  const std::string base = CheckinAt("2026-11-20T08:00:00Z");
  // {...,"pad":"xxx"}: base minus its closing brace, plus ,"pad":"" and the brace = base + 9.
  const auto padded = [&](size_t total) {
    std::string text = base.substr(0, base.size() - 1) + R"(,"pad":")";
    text.append(total - text.size() - 2, 'x');
    text += "\"}";
    EXPECT_EQ(text.size(), total);
    return text;
  };
  EXPECT_EQ(Reason(padded(16 * 1024)), "ok");
  const DecodeOutcome outcome = Decode(padded(16 * 1024 + 1));
  EXPECT_EQ(outcome.reason, "too_large");
  EXPECT_EQ(outcome.id, "");  // not parsed at all
  EXPECT_EQ(Reason(std::string(1 << 20, '{')), "too_large");
}

TEST_F(EventDecoderTest, SizeLimitIsAnOption) {
  EventDecoder small_decoder(DecoderOptions{.max_event_bytes = 100});
  const std::string text = CheckinAt("2026-11-20T08:00:00Z");
  ASSERT_LT(text.size(), 100u);
  EXPECT_TRUE(small_decoder.Decode(text, kNow, params_).event);
  const std::string big = text.substr(0, text.size() - 1) + R"(,"pad":")" +
                          std::string(100 - text.size() - 9 + 1, 'x') + "\"}";
  ASSERT_EQ(big.size(), 101u);
  EXPECT_EQ(small_decoder.Decode(big, kNow, params_).reason, "too_large");
}

// ---------------------------------------------------------------------------------------------
// malformed_json

TEST_F(EventDecoderTest, NotAnObjectIsMalformed) {
  for (const char* text : {"", " ", "[1,2,3]", "[]", "42", "\"checkin\"", "null", "true",
                           R"([{"type":"checkin"}])"}) {
    EXPECT_EQ(Reason(text), "malformed_json") << text;
  }
}

TEST_F(EventDecoderTest, InvalidJsonIsMalformed) {
  const std::string good = CheckinAt("2026-11-20T08:00:00Z");
  for (const std::string& text : {
           good.substr(0, good.size() - 1),  // example 05 line 11: unterminated
           good + "}",
           good + good,
           good + " x",
           std::string(R"({"type":"checkin",})"),
           std::string(R"({"type" "checkin"})"),
           std::string(R"({type:"checkin"})"),
           std::string(R"({'type':'checkin'})"),
           std::string(R"({"type":"checkin","id":"c","n":01})"),
           std::string(R"({"type":"checkin","id":"c","n":NaN})"),
           std::string(R"({"type":"checkin","id":"c\q"})"),
           std::string("{\"type\":\"checkin\",\"id\":\"c\x01\"}"),  // raw control character
           std::string(1000, '[') + std::string(1000, ']'),
       }) {
    EXPECT_EQ(Reason(text), "malformed_json") << text;
  }
}

TEST_F(EventDecoderTest, InvalidUtf8IsMalformed) {
  const std::string prefix = R"({"type":"checkin","id":"c-1","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z","source":")";
  EXPECT_EQ(Reason(prefix + "caf\xc3\xa9\"}"), "ok");
  for (const char* bad : {"\xff", "\xc3", "\xc3\x28", "\xed\xa0\x80", "\xc0\xaf", "\xf8\x88\x80\x80\x80"}) {
    const DecodeOutcome outcome = Decode(prefix + bad + "\"}");
    EXPECT_EQ(outcome.reason, "malformed_json") << "bytes " << bad;
    EXPECT_EQ(outcome.id, "");
  }
  // Outside any string too.
  EXPECT_EQ(Reason(CheckinAt("2026-11-20T08:00:00Z") + "\xff"), "malformed_json");
}

TEST_F(EventDecoderTest, RepeatedTopLevelKeyIsMalformedButIdIsReported) {
  DecodeOutcome outcome = Decode(
      R"({"type":"checkin","id":"c-1","person":"P","person":"Q","venue":"V","ts":"2026-11-20T08:00:00Z"})");
  EXPECT_EQ(outcome.reason, "malformed_json");
  EXPECT_EQ(outcome.id, "c-1");

  outcome = Decode(
      R"({"type":"checkin","id":"c-1","id":"c-2","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z"})");
  EXPECT_EQ(outcome.reason, "malformed_json");
  EXPECT_EQ(outcome.id, "");  // which one?

  // Repeated keys inside an ignored extra field are not looked at.
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c-1","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z","x":{"a":1,"a":2}})"),
            "ok");
}

TEST_F(EventDecoderTest, DecoderIsReusableAfterEveryKindOfFailure) {
  const std::string good = CheckinAt("2026-11-20T08:00:00Z");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Reason(std::string(20000, ' ')), "too_large");
    EXPECT_EQ(Reason("{"), "malformed_json");
    EXPECT_EQ(Reason(good.substr(0, 40)), "malformed_json");
    const DecodeOutcome outcome = Decode(good);
    ASSERT_TRUE(outcome.event);
    EXPECT_EQ(outcome.event->person, "P001");
    // A big event then a small one: nothing of the first leaks into the second.
    std::string big = good.substr(0, good.size() - 1) + R"(,"pad":")" + std::string(15000, 'y') + "\"}";
    EXPECT_EQ(Reason(big), "ok");
    EXPECT_EQ(Reason("{}"), "unknown_type");
  }
}

// ---------------------------------------------------------------------------------------------
// unknown_type

TEST_F(EventDecoderTest, UnknownType) {
  for (const char* text : {
           R"({"id":"c-1","person":"P"})",
           R"({"type":"teleport","id":"c-1","person":"P"})",
           R"({"type":"Checkin","id":"c-1","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z"})",
           R"({"type":"","id":"c-1"})",
           R"({"type":1,"id":"c-1"})",
           R"({"type":["checkin"],"id":"c-1"})",
           R"({"type":{"name":"checkin"},"id":"c-1"})",
       }) {
    const DecodeOutcome outcome = Decode(text);
    EXPECT_EQ(outcome.reason, "unknown_type") << text;
    EXPECT_EQ(outcome.id, "c-1") << text;
  }
  EXPECT_EQ(Reason("{}"), "unknown_type");
}

// ---------------------------------------------------------------------------------------------
// Common fields

TEST_F(EventDecoderTest, IdRules) {
  const auto with_id = [](std::string_view id_json) {
    return R"({"type":"checkin","id":)" + std::string(id_json) +
           R"(,"person":"P","venue":"V","ts":"2026-11-20T08:00:00Z"})";
  };
  EXPECT_EQ(Reason(with_id("\"" + std::string(128, 'i') + "\"")), "ok");
  EXPECT_EQ(Decode(with_id("\"" + std::string(128, 'i') + "\"")).id, std::string(128, 'i'));
  EXPECT_EQ(Reason(with_id("\"" + std::string(129, 'i') + "\"")), "bad_field:id");
  EXPECT_EQ(Decode(with_id("\"" + std::string(129, 'i') + "\"")).id, "");
  EXPECT_EQ(Reason(with_id(R"("!~#{}[]\"\\/")")), "ok");  // all printable ASCII is fine
  EXPECT_EQ(Reason(with_id(R"("c 1")")), "bad_field:id");
  EXPECT_EQ(Reason(with_id(R"("c\t1")")), "bad_field:id");
  EXPECT_EQ(Reason(with_id(R"("c\u007f")")), "bad_field:id");
  EXPECT_EQ(Reason(with_id(R"("caf\u00e9")")), "bad_field:id");
  EXPECT_EQ(Reason(with_id(R"("")")), "bad_field:id");
  EXPECT_EQ(Reason(with_id("17")), "bad_field:id");
  EXPECT_EQ(Reason(with_id("[\"c\"]")), "bad_field:id");
  EXPECT_EQ(Reason(R"({"type":"checkin","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z"})"),
            "missing_field:id");
}

TEST_F(EventDecoderTest, PersonRules) {
  EXPECT_EQ(Reason(Checkin("c", std::string(64, 'p'), "V", "2026-11-20T08:00:00Z")), "ok");
  EXPECT_EQ(Reason(Checkin("c", std::string(65, 'p'), "V", "2026-11-20T08:00:00Z")),
            "bad_field:person");
  EXPECT_EQ(Reason(Checkin("c", "Az09_.:-", "V", "2026-11-20T08:00:00Z")), "ok");
  for (const char* bad : {"", "A B", "A/B", "A+B", "A@B", "caf\\u00e9", "A\\u0000"}) {
    EXPECT_EQ(Reason(Checkin("c", bad, "V", "2026-11-20T08:00:00Z")), "bad_field:person") << bad;
  }
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","person":7,"venue":"V","ts":"2026-11-20T08:00:00Z"})"),
            "bad_field:person");
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","venue":"V","ts":"2026-11-20T08:00:00Z"})"),
            "missing_field:person");
}

TEST_F(EventDecoderTest, SourceRules) {
  const auto with_source = [](std::string_view source_json) {
    return R"({"type":"checkin","id":"c","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z","source":)" +
           std::string(source_json) + "}";
  };
  EXPECT_EQ(Reason(with_source("\"" + std::string(64, 's') + "\"")), "ok");
  EXPECT_EQ(Reason(with_source("\"" + std::string(65, 's') + "\"")), "bad_field:source");
  EXPECT_EQ(Reason(with_source(R"("")")), "ok");
  EXPECT_EQ(Reason(with_source(R"("province 7 / app")")), "ok");
  EXPECT_EQ(Reason(with_source("1")), "bad_field:source");
  EXPECT_EQ(Reason(with_source("{}")), "bad_field:source");
}

TEST_F(EventDecoderTest, CommonFieldsAreCheckedInOrder) {
  // type before id before person before source before the type's own fields.
  EXPECT_EQ(Reason(R"({"type":"nope","id":"a b","person":"a b"})"), "unknown_type");
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"a b","person":"a b","source":1})"), "bad_field:id");
  EXPECT_EQ(Reason(R"({"type":"checkin","person":"a b","source":1})"), "missing_field:id");
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","person":"a b","source":1})"), "bad_field:person");
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","source":1})"), "missing_field:person");
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","person":"P","source":1,"ts":"x"})"),
            "bad_field:source");
  // A field error comes before time-based judgements.
  EXPECT_EQ(Reason(R"({"type":"checkin","id":"c","person":"P","venue":"a b","ts":"2020-01-01T00:00:00Z"})"),
            "bad_field:venue");
  // And the id is still reported.
  EXPECT_EQ(Decode(R"({"type":"checkin","id":"c","person":"a b"})").id, "c");
}

// ---------------------------------------------------------------------------------------------
// checkin / checkout

TEST_F(EventDecoderTest, CheckinAndCheckoutFields) {
  for (const char* type : {"checkin", "checkout"}) {
    const std::string head = R"({"type":")" + std::string(type) + R"(","id":"c","person":"P")";
    EXPECT_EQ(Reason(head + R"(,"ts":"2026-11-20T08:00:00Z"})"), "missing_field:venue") << type;
    EXPECT_EQ(Reason(head + R"(,"venue":"V"})"), "missing_field:ts") << type;
    EXPECT_EQ(Reason(head + "}"), "missing_field:venue") << type;  // venue comes before ts
    EXPECT_EQ(Reason(head + R"(,"venue":"V V","ts":"2026-11-20T08:00:00Z"})"), "bad_field:venue");
    EXPECT_EQ(Reason(head + R"(,"venue":")" + std::string(65, 'v') + R"(","ts":"2026-11-20T08:00:00Z"})"),
              "bad_field:venue");
    EXPECT_EQ(Reason(head + R"(,"venue":")" + std::string(64, 'v') + R"(","ts":"2026-11-20T08:00:00Z"})"),
              "ok");
    EXPECT_EQ(Reason(head + R"(,"venue":1,"ts":"2026-11-20T08:00:00Z"})"), "bad_field:venue");
  }
}

// ---------------------------------------------------------------------------------------------
// bad_time

TEST_F(EventDecoderTest, BadTimes) {
  for (const char* ts : {"2026-11-20 08:00", "2026-11-20T08:00:00", "2026-11-20T08:00Z",
                         "2026-02-29T08:00:00Z", "2026-11-20T24:00:00Z", "1969-12-31T23:59:59Z",
                         "10000-01-01T00:00:00Z", "yesterday", ""}) {
    EXPECT_EQ(Reason(CheckinAt(ts)), "bad_time:ts") << ts;
  }
  const std::string head = R"({"type":"checkin","id":"c","person":"P","venue":"V","ts":)";
  for (const char* ts : {"1763625600", "1.5", "true", "{}", "[\"2026-11-20T08:00:00Z\"]"}) {
    EXPECT_EQ(Reason(head + ts + "}"), "bad_time:ts") << ts;
  }
}

TEST_F(EventDecoderTest, OffsetsAndFractionsAreNormalised) {
  DecodeOutcome outcome = Decode(CheckinAt("2026-11-20T15:15:00+07:00"));
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->time, T("2026-11-20T08:15:00Z"));

  outcome = Decode(CheckinAt("2026-11-20T03:15:00-05:00"));
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->time, T("2026-11-20T08:15:00Z"));

  outcome = Decode(CheckinAt("2026-11-20T08:15:00.987654321Z"));
  ASSERT_TRUE(outcome.event) << outcome.reason;
  EXPECT_EQ(outcome.event->time, T("2026-11-20T08:15:00Z") + 987);
}

// ---------------------------------------------------------------------------------------------
// test_result

TEST_F(EventDecoderTest, TestResultFields) {
  const std::string head = R"({"type":"test_result","id":"t","person":"P")";
  const std::string sampled = R"(,"sampled_at":"2026-11-21T10:00:00Z")";
  EXPECT_EQ(Reason(head + R"(,"result":"positive"})"), "missing_field:sampled_at");
  EXPECT_EQ(Reason(head + sampled + "}"), "missing_field:result");
  EXPECT_EQ(Reason(head + R"(,"sampled_at":"soon","result":"positive"})"), "bad_time:sampled_at");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"maybe"})"), "bad_field:result");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"Positive"})"), "bad_field:result");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":true})"), "bad_field:result");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","resulted_at":"x"})"),
            "bad_time:resulted_at");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","resulted_at":5})"),
            "bad_time:resulted_at");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","kind":"rapid"})"), "bad_field:kind");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","kind":1})"), "bad_field:kind");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","lab":")" + std::string(64, 'l') + "\"}"),
            "ok");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","lab":")" + std::string(65, 'l') + "\"}"),
            "bad_field:lab");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","lab":["x"]})"), "bad_field:lab");
  // Table order: sampled_at, result, resulted_at, kind, lab.
  EXPECT_EQ(Reason(head + R"(,"sampled_at":"x","result":"maybe"})"), "bad_time:sampled_at");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"maybe","resulted_at":"x"})"), "bad_field:result");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","resulted_at":"x","kind":"x"})"),
            "bad_time:resulted_at");
  EXPECT_EQ(Reason(head + sampled + R"(,"result":"positive","kind":"x","lab":1})"), "bad_field:kind");
}

TEST_F(EventDecoderTest, ResultedBeforeSampledIsInconsistent) {
  const std::string head =
      R"({"type":"test_result","id":"t","person":"P","result":"positive","sampled_at":"2026-11-21T10:00:00Z","resulted_at":)";
  EXPECT_EQ(Reason(head + R"("2026-11-20T10:00:00Z"})"), "inconsistent");
  EXPECT_EQ(Reason(head + R"("2026-11-21T09:59:59.999Z"})"), "inconsistent");
  EXPECT_EQ(Reason(head + R"("2026-11-21T10:00:00Z"})"), "ok");
  EXPECT_EQ(Reason(head + R"("2026-11-21T17:00:00+07:00"})"), "ok");
  // resulted_at may be later than now: only the event's time (sampled_at) is judged.
  EXPECT_EQ(Reason(head + R"("2026-12-25T00:00:00Z"})"), "ok");
}

// ---------------------------------------------------------------------------------------------
// declaration

TEST_F(EventDecoderTest, DeclarationFields) {
  const std::string head = R"({"type":"declaration","id":"d","person":"P")";
  const std::string ts = R"(,"ts":"2026-11-22T09:00:00Z")";
  EXPECT_EQ(Reason(head + "}"), "missing_field:ts");
  EXPECT_EQ(Reason(head + ts + R"(,"onset":"x"})"), "bad_time:onset");
  EXPECT_EQ(Reason(head + ts + R"(,"onset":1})"), "bad_time:onset");
  EXPECT_EQ(Reason(head + ts + R"(,"onset":"2026-11-22T09:00:00.001Z"})"), "inconsistent");
  EXPECT_EQ(Reason(head + ts + R"(,"onset":"2026-11-22T09:00:00Z"})"), "ok");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":"fever"})"), "bad_field:symptoms");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":[1]})"), "bad_field:symptoms");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":[null]})"), "bad_field:symptoms");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":[]})"), "ok");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":[")" + std::string(32, 's') + "\"]}"), "ok");
  EXPECT_EQ(Reason(head + ts + R"(,"symptoms":[")" + std::string(33, 's') + "\"]}"),
            "bad_field:symptoms");
  // Table order: ts, onset, symptoms.
  EXPECT_EQ(Reason(head + R"(,"ts":"x","onset":"y","symptoms":1})"), "bad_time:ts");
  EXPECT_EQ(Reason(head + ts + R"(,"onset":"y","symptoms":1})"), "bad_time:onset");
}

TEST_F(EventDecoderTest, AtMostSixteenSymptoms) {
  const auto with_symptoms = [](int count) {
    std::string list;
    for (int symptom_idx = 0; symptom_idx < count; ++symptom_idx) {
      list += (symptom_idx == 0 ? "\"s" : ",\"s") + std::to_string(symptom_idx) + "\"";
    }
    return R"({"type":"declaration","id":"d","person":"P","ts":"2026-11-22T09:00:00Z","symptoms":[)" +
           list + "]}";
  };
  const DecodeOutcome outcome = Decode(with_symptoms(16));
  ASSERT_TRUE(outcome.event) << outcome.reason;
  ASSERT_EQ(outcome.event->symptoms.size(), 16u);
  EXPECT_EQ(outcome.event->symptoms[15], "s15");
  EXPECT_EQ(Reason(with_symptoms(17)), "bad_field:symptoms");
}

TEST_F(EventDecoderTest, OnsetAfterTsIsInconsistent) {
  EXPECT_EQ(Reason(R"({"type":"declaration","id":"b11","person":"A","ts":"2026-11-20T08:00:00Z","onset":"2026-11-21T08:00:00Z"})"),
            "inconsistent");
}

// ---------------------------------------------------------------------------------------------
// too_old / in_future

TEST_F(EventDecoderTest, RetentionBoundaryIsInclusive) {
  const TimeMs oldest = kNow - params_.retention;
  ASSERT_EQ(FormatUtc(oldest), "2026-10-28T00:00:00Z");
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(oldest))), "ok");
  const DecodeOutcome outcome = Decode(CheckinAt(FormatUtc(oldest - 1)));
  EXPECT_EQ(outcome.reason, "too_old");
  EXPECT_EQ(outcome.id, "c-1");
  // Retention is a parameter.
  params_.retention = kDay;
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(kNow - kDay - 1))), "too_old");
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(kNow - kDay))), "ok");
}

TEST_F(EventDecoderTest, ClockSkewBoundaryIsInclusive) {
  const TimeMs latest = kNow + params_.max_clock_skew;
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(latest))), "ok");
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(latest + 1))), "in_future");
  params_.max_clock_skew = kHour;
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(kNow + kHour))), "ok");
  EXPECT_EQ(Reason(CheckinAt(FormatUtc(kNow + kHour + 1))), "in_future");
}

TEST_F(EventDecoderTest, TimeChecksUseTheEventsOwnTime) {
  // Test results are judged by sampled_at, declarations by ts.
  const std::string old_sample =
      R"({"type":"test_result","id":"t","person":"P","sampled_at":"2026-10-01T00:00:00Z","resulted_at":"2026-11-26T00:00:00Z","result":"positive"})";
  EXPECT_EQ(Reason(old_sample), "too_old");
  const std::string future_declaration =
      R"({"type":"declaration","id":"d","person":"P","ts":"2026-11-27T00:05:00.001Z","onset":"2026-11-26T00:00:00Z"})";
  EXPECT_EQ(Reason(future_declaration), "in_future");
  // An onset older than the retention is fine: only the event's time counts.
  EXPECT_EQ(Reason(R"({"type":"declaration","id":"d","person":"P","ts":"2026-11-26T00:00:00Z","onset":"2026-01-01T00:00:00Z"})"),
            "ok");
}

TEST_F(EventDecoderTest, InconsistentIsReportedBeforeTooOld) {
  EXPECT_EQ(Reason(R"({"type":"declaration","id":"d","person":"P","ts":"2020-01-01T00:00:00Z","onset":"2020-01-02T00:00:00Z"})"),
            "inconsistent");
}

TEST_F(EventDecoderTest, ExtremeNowAndParametersDoNotOverflow) {
  const std::string event = CheckinAt("2026-11-20T08:00:00Z");
  params_.retention = kTimeMax;
  params_.max_clock_skew = kTimeMax;
  EXPECT_EQ(decoder_.Decode(event, kTimeMin, params_).reason, "in_future");  // now + skew = -1
  EXPECT_TRUE(decoder_.Decode(event, kTimeMax, params_).event);             // now - retention = 0
  params_ = TracingParams{};
  EXPECT_EQ(decoder_.Decode(event, kTimeMin, params_).reason, "in_future");
  EXPECT_EQ(decoder_.Decode(event, kTimeMax, params_).reason, "too_old");
}

// ---------------------------------------------------------------------------------------------
// SplitBody

std::vector<BodyItem> Split(std::string_view body, BodyFormat format, bool expect_ok = true) {
  std::vector<BodyItem> items = {{99, "stale"}};
  std::string error;
  EXPECT_EQ(SplitBody(body, format, &items, &error), expect_ok) << body;
  EXPECT_EQ(error.empty(), expect_ok) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  return items;
}

TEST(SplitBodyTest, NdjsonLinesKeepTheirNumbers) {
  const std::vector<BodyItem> items =
      Split("{\"a\":1}\r\n\n   \n{\"b\":2}\n\t\r\n[1,2]\nnot json", BodyFormat::kNdjson);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].line, 1u);
  EXPECT_EQ(items[0].text, "{\"a\":1}");
  EXPECT_EQ(items[1].line, 4u);
  EXPECT_EQ(items[1].text, "{\"b\":2}");
  EXPECT_EQ(items[2].line, 6u);
  EXPECT_EQ(items[2].text, "[1,2]");
  EXPECT_EQ(items[3].line, 7u);
  EXPECT_EQ(items[3].text, "not json");
}

TEST(SplitBodyTest, NdjsonEdgeCases) {
  EXPECT_TRUE(Split("", BodyFormat::kNdjson).empty());
  EXPECT_TRUE(Split("\n\n\r\n", BodyFormat::kNdjson).empty());
  std::vector<BodyItem> items = Split("x\n", BodyFormat::kNdjson);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].text, "x");
  items = Split("x\r\r\n", BodyFormat::kNdjson);  // only one trailing \r is dropped
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].text, "x\r");
  items = Split(std::string_view("a\0b\nc", 5), BodyFormat::kNdjson);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].text, std::string("a\0b", 3));
}

TEST(SplitBodyTest, JsonArrayElementsKeepTheirRawText) {
  const std::vector<BodyItem> items = Split(
      " [ {\"type\":\"checkin\", \"id\":\"a,]}\\\"[{\"} ,\n[1,[2]], \"s\" ,{\"x\":{\"y\":[]}},1e5 ]\n",
      BodyFormat::kJsonArray);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].line, 1u);
  EXPECT_EQ(items[0].text, "{\"type\":\"checkin\", \"id\":\"a,]}\\\"[{\"}");
  EXPECT_EQ(items[1].line, 2u);
  EXPECT_EQ(items[1].text, "[1,[2]]");
  EXPECT_EQ(items[2].text, "\"s\"");
  EXPECT_EQ(items[3].text, "{\"x\":{\"y\":[]}}");
  EXPECT_EQ(items[4].line, 5u);
  EXPECT_EQ(items[4].text, "1e5");
}

TEST(SplitBodyTest, JsonArrayOfNumbersGivesItemsThatAreMalformed) {
  const std::vector<BodyItem> items = Split("[1,2,3]", BodyFormat::kJsonArray);
  ASSERT_EQ(items.size(), 3u);
  EventDecoder decoder;
  for (const BodyItem& item : items) {
    EXPECT_EQ(decoder.Decode(item.text, kNow, TracingParams{}).reason, "malformed_json");
  }
}

TEST(SplitBodyTest, JsonArrayElementErrorsAreJudgedPerElement) {
  const std::string good =
      R"({"type":"checkin","id":"c","person":"P","venue":"V","ts":"2026-11-20T08:00:00Z"})";
  const std::vector<BodyItem> items =
      Split("[" + good + ",{\"a\":},{\"s\":\"\xff\"}, 1 2," + good + "]", BodyFormat::kJsonArray);
  ASSERT_EQ(items.size(), 5u);
  EventDecoder decoder;
  std::vector<std::string> reasons;
  for (const BodyItem& item : items) {
    const DecodeOutcome outcome = decoder.Decode(item.text, kNow, TracingParams{});
    reasons.push_back(outcome.event ? "ok" : outcome.reason);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"ok", "malformed_json", "malformed_json",
                                               "malformed_json", "ok"}));
}

TEST(SplitBodyTest, EmptyArrays) {
  EXPECT_TRUE(Split("[]", BodyFormat::kJsonArray).empty());
  EXPECT_TRUE(Split(" \n[ \t ]\r\n", BodyFormat::kJsonArray).empty());
}

TEST(SplitBodyTest, MalformedArrayBodies) {
  for (const char* body : {"", "   ", "{}", "{\"a\":1}", "1", "[", "[1", "[1,", "[1,]", "[,1]",
                           "[1,,2]", "[,]", "[1] x", "[1][2]", "[{]}", "[{\"a\":[}]", "[1}",
                           "[\"unterminated]", "[{\"a\":\"b\\\"}]", "]"}) {
    EXPECT_TRUE(Split(body, BodyFormat::kJsonArray, /*expect_ok=*/false).empty()) << body;
  }
  // A null error pointer is allowed.
  std::vector<BodyItem> items;
  EXPECT_FALSE(SplitBody("[", BodyFormat::kJsonArray, &items, nullptr));
}

TEST(SplitBodyTest, DeepNestingIsHandled) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<BodyItem> items = Split("[" + deep + "]", BodyFormat::kJsonArray);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].text.size(), deep.size());
}

}  // namespace
}  // namespace ctrace
