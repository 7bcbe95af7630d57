#include "api/request_target.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace ctrace {
namespace {

using Segments = std::vector<std::string>;
using Query = std::vector<std::pair<std::string, std::string>>;

TEST(RequestTargetTest, SplitsPathAndQuery) {
  RequestTarget target;
  std::string error;
  ASSERT_TRUE(ParseRequestTarget("/v1/exposed?level=1&since=2026-11-20T08%3A00%3A00Z", &target,
                                 &error));
  EXPECT_EQ(target.segments, (Segments{"v1", "exposed"}));
  EXPECT_EQ(target.query, (Query{{"level", "1"}, {"since", "2026-11-20T08:00:00Z"}}));
  ASSERT_NE(target.Find("level"), nullptr);
  EXPECT_EQ(*target.Find("level"), "1");
  EXPECT_EQ(target.Find("limit"), nullptr);
}

TEST(RequestTargetTest, DecodesSegmentsAfterSplitting) {
  RequestTarget target;
  std::string error;
  ASSERT_TRUE(ParseRequestTarget("/v1/persons/P%2F7%3Ax+y", &target, &error));
  EXPECT_EQ(target.segments, (Segments{"v1", "persons", "P/7:x+y"}));  // '+' is literal in paths
}

TEST(RequestTargetTest, RootAndTrailingSlash) {
  RequestTarget target;
  std::string error;
  ASSERT_TRUE(ParseRequestTarget("/", &target, &error));
  EXPECT_EQ(target.segments, (Segments{""}));
  ASSERT_TRUE(ParseRequestTarget("/v1/cases/", &target, &error));
  EXPECT_EQ(target.segments, (Segments{"v1", "cases", ""}));
}

TEST(RequestTargetTest, QueryDetails) {
  RequestTarget target;
  std::string error;
  ASSERT_TRUE(ParseRequestTarget("/x?a=1+2&&b&c=&d=%26%3D", &target, &error));
  EXPECT_EQ(target.query, (Query{{"a", "1 2"}, {"b", ""}, {"c", ""}, {"d", "&="}}));
  ASSERT_TRUE(ParseRequestTarget("/x?", &target, &error));
  EXPECT_TRUE(target.query.empty());
}

TEST(RequestTargetTest, Rejects) {
  RequestTarget target;
  std::string error;
  EXPECT_FALSE(ParseRequestTarget("", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("v1/cases", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("http://host/v1/cases", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("/v1/persons/P%2", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("/v1/persons/P%zz", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("/v1/persons/P%", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("/x?a=%G0", &target, &error));
  EXPECT_FALSE(ParseRequestTarget("/x?limit=1&limit=2", &target, &error));
  EXPECT_FALSE(error.empty());
}

TEST(PercentDecodeTest, Escapes) {
  std::string out;
  ASSERT_TRUE(PercentDecode("%41%62%2f%2F%00", false, &out));
  EXPECT_EQ(out, std::string("Ab//\0", 5));
  ASSERT_TRUE(PercentDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  ASSERT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%4", false, &out));
}

TEST(EntityIdTest, Charset) {
  EXPECT_TRUE(IsValidEntityId("P001"));
  EXPECT_TRUE(IsValidEntityId("V-MARKET_7.a:b"));
  EXPECT_TRUE(IsValidEntityId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidEntityId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidEntityId(""));
  EXPECT_FALSE(IsValidEntityId("P 1"));
  EXPECT_FALSE(IsValidEntityId("P/1"));
  EXPECT_FALSE(IsValidEntityId("P\xc3\xad"));
  EXPECT_FALSE(IsValidEntityId(std::string("P\0", 2)));
}

TEST(ParseDecimalTest, DigitsOnly) {
  EXPECT_EQ(ParseDecimal("0"), 0);
  EXPECT_EQ(ParseDecimal("10000"), 10000);
  EXPECT_EQ(ParseDecimal("007"), 7);
  EXPECT_EQ(ParseDecimal("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseDecimal("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseDecimal(""), std::nullopt);
  EXPECT_EQ(ParseDecimal("-1"), std::nullopt);
  EXPECT_EQ(ParseDecimal("+1"), std::nullopt);
  EXPECT_EQ(ParseDecimal(" 1"), std::nullopt);
  EXPECT_EQ(ParseDecimal("1x"), std::nullopt);
  EXPECT_EQ(ParseDecimal("1.0"), std::nullopt);
}

TEST(Base64UrlTest, KnownValues) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("Zm9vYmE"), "fooba");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64UrlTest, RoundTripsAnyBytes) {
  std::mt19937 rng(42);
  for (size_t length = 0; length < 40; ++length) {
    std::string data;
    for (size_t i = 0; i < length; ++i) data.push_back(static_cast<char>(rng() & 0xFF));
    const std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(Base64UrlDecode(encoded), data) << length;
  }
}

TEST(Base64UrlTest, StrictDecoding) {
  EXPECT_EQ(Base64UrlDecode("Zm9v="), std::nullopt);  // padding
  EXPECT_EQ(Base64UrlDecode("Zm+v"), std::nullopt);   // the other alphabet
  EXPECT_EQ(Base64UrlDecode("Z"), std::nullopt);      // impossible length
  EXPECT_EQ(Base64UrlDecode("Zh"), std::nullopt);     // leftover bits not zero
  EXPECT_EQ(Base64UrlDecode("Zm9 "), std::nullopt);
}

TEST(CursorTest, RoundTripAndScope) {
  const std::string after("\x00\x01P7", 4);
  const std::string cursor = EncodeCursor("visits:V1", after);
  EXPECT_EQ(DecodeCursor(cursor, "visits:V1"), after);
  EXPECT_EQ(DecodeCursor(cursor, "visits:V2"), std::nullopt);
  EXPECT_EQ(DecodeCursor(cursor, "visits"), std::nullopt);
  EXPECT_EQ(DecodeCursor(EncodeCursor("cases", "P1"), "exposed:1"), std::nullopt);
  EXPECT_EQ(DecodeCursor(EncodeCursor("cases", ""), "cases"), std::nullopt);  // empty key
  EXPECT_EQ(DecodeCursor("not a cursor", "cases"), std::nullopt);
  EXPECT_EQ(DecodeCursor("", "cases"), std::nullopt);
}

}  // namespace
}  // namespace ctrace
