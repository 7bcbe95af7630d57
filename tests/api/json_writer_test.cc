#include "api/json_writer.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace ctrace {
namespace {

std::string Quoted(std::string_view value) {
  std::string out;
  AppendJsonString(value, &out);
  return out;
}

TEST(JsonWriterTest, EmptyContainers) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("a").BeginArray().EndArray().Key("b").BeginObject().EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":[],"b":{}})");
  EXPECT_TRUE(json.Complete());
}

TEST(JsonWriterTest, CommasBetweenMembersAndElements) {
  std::string out;
  JsonWriter json(&out);
  json.BeginArray();
  json.Int(1).String("x").Null().Bool(true).Bool(false);
  json.BeginObject().Key("k").Int(2).Key("l").BeginArray().Int(3).Int(4).EndArray().EndObject();
  json.BeginArray().EndArray();
  json.EndArray();
  EXPECT_EQ(out, R"([1,"x",null,true,false,{"k":2,"l":[3,4]},[]])");
  EXPECT_TRUE(json.Complete());
}

TEST(JsonWriterTest, NotCompleteWhileOpen) {
  std::string out;
  JsonWriter json(&out);
  EXPECT_FALSE(json.Complete());
  json.BeginObject();
  EXPECT_FALSE(json.Complete());
  json.EndObject();
  EXPECT_TRUE(json.Complete());
}

TEST(JsonWriterTest, AppendsToExistingText) {
  std::string out = "prefix:";
  JsonWriter json(&out);
  json.Int(7);
  EXPECT_EQ(out, "prefix:7");
}

TEST(JsonWriterTest, Integers) {
  std::string out;
  JsonWriter json(&out);
  json.BeginArray()
      .Int(0)
      .Int(-1)
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .Uint(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(out,
            "[0,-1,-9223372036854775808,9223372036854775807,18446744073709551615]");
}

TEST(JsonWriterTest, RawIsCopied) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("r").Raw(R"({"x":[1, 2]})").Key("s").Int(1).EndObject();
  EXPECT_EQ(out, R"({"r":{"x":[1, 2]},"s":1})");
}

TEST(JsonWriterTest, TimesUseFormatUtc) {
  std::string out;
  JsonWriter json(&out);
  const TimeMs t = 1795163400000;  // 2026-11-20T08:30:00Z
  json.BeginArray()
      .Time(t)
      .Time(t + 250)
      .Time(std::optional<TimeMs>())
      .Time(std::optional<TimeMs>(t))
      .EndArray();
  EXPECT_EQ(out,
            R"(["2026-11-20T08:30:00Z","2026-11-20T08:30:00.250Z",null,"2026-11-20T08:30:00Z"])");
}

TEST(JsonWriterTest, StringArray) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("via").StringArray({"P1", "P\"2"}).Key("none").StringArray({}).EndObject();
  EXPECT_EQ(out, R"({"via":["P1","P\"2"],"none":[]})");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("a\"b\n").Int(1).EndObject();
  EXPECT_EQ(out, R"({"a\"b\n":1})");
}

TEST(JsonStringTest, EscapesQuoteBackslashAndControls) {
  EXPECT_EQ(Quoted("plain"), R"("plain")");
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Quoted(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  // DEL and '/' need no escape.
  EXPECT_EQ(Quoted("\x7f/"), "\"\x7f/\"");
}

TEST(JsonStringTest, ValidUtf8PassesThrough) {
  const std::string vietnamese = "H\xe1\xbb\x93 Ch\xc3\xad Minh";  // Hồ Chí Minh
  EXPECT_EQ(Quoted(vietnamese), "\"" + vietnamese + "\"");
  const std::string emoji = "\xf0\x9f\x98\x80";  // U+1F600
  EXPECT_EQ(Quoted(emoji), "\"" + emoji + "\"");
  const std::string edges = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf";
  EXPECT_EQ(Quoted(edges), "\"" + edges + "\"");
}

TEST(JsonStringTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(Quoted("a\x80z"), "\"a" + fffd + "z\"");                 // lone continuation
  EXPECT_EQ(Quoted("\xc0\xaf"), "\"" + fffd + fffd + "\"");          // overlong '/'
  EXPECT_EQ(Quoted("\xe0\x80\xaf"), "\"" + fffd + fffd + fffd + "\"");  // overlong, 3 bytes
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(Quoted("\xf5"), "\"" + fffd + "\"");
  EXPECT_EQ(Quoted("\xff"), "\"" + fffd + "\"");
  EXPECT_EQ(Quoted("x\xe1\x80"), "\"x" + fffd + fffd + "\"");  // cut short at the end
  EXPECT_EQ(Quoted("\xe1\x80z"), "\"" + fffd + fffd + "z\"");  // cut short by ASCII
}

}  // namespace
}  // namespace ctrace
