#include "ingest/event_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ctrace {
namespace {

// 2026-11-20T08:15:00Z.
constexpr TimeMs kNov20 = 1795162500 * kSecond;

class RandomEvents {
 public:
  explicit RandomEvents(uint64_t seed) : rng_(seed) {}

  Event Next() {
    Event event;
    event.type = static_cast<EventType>(Uniform(1, 4));
    event.id = String(Uniform(0, 3) == 0 ? Uniform(0, 300) : Uniform(1, 20));
    event.person = String(Uniform(0, 64));
    event.source = Uniform(0, 1) == 0 ? "" : String(Uniform(0, 64));
    event.time = Time();
    switch (event.type) {
      case EventType::kCheckin:
      case EventType::kCheckout:
        event.venue = String(Uniform(0, 200));  // > 127 bytes takes a two-byte varint
        break;
      case EventType::kTestResult:
        event.result = static_cast<TestOutcome>(Uniform(0, 1));
        event.kind = static_cast<TestKind>(Uniform(0, 2));
        if (Uniform(0, 1) == 1) event.resulted_at = Time();
        event.lab = Uniform(0, 1) == 0 ? "" : String(Uniform(0, 64));
        break;
      case EventType::kDeclaration:
        if (Uniform(0, 1) == 1) event.onset = Time();
        for (int64_t symptom_idx = Uniform(0, 20); symptom_idx > 0; --symptom_idx) {
          event.symptoms.push_back(String(Uniform(0, 32)));
        }
        break;
    }
    return event;
  }

 private:
  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng_);
  }

  // Any bytes, NUL and non-UTF-8 included: the codec does not care.
  std::string String(int64_t length) {
    std::string text;
    for (int64_t byte_idx = 0; byte_idx < length; ++byte_idx) {
      text.push_back(static_cast<char>(Uniform(0, 255)));
    }
    return text;
  }

  TimeMs Time() {
    switch (Uniform(0, 4)) {
      case 0:
        return kTimeMin;
      case 1:
        return kTimeMax;
      case 2:
        return Uniform(-1000, 1000);
      default:
        return Uniform(0, 253402300799999);
    }
  }

  std::mt19937_64 rng_;
};

TEST(EventCodecTest, RoundTripsRandomEvents) {
  RandomEvents events(1);
  for (int event_idx = 0; event_idx < 20000; ++event_idx) {
    const Event event = events.Next();
    const std::string bytes = EncodeEvent(event);
    Event decoded;
    ASSERT_TRUE(DecodeEvent(bytes, &decoded)) << "event " << event_idx;
    ASSERT_EQ(decoded, event) << "event " << event_idx;
  }
}

TEST(EventCodecTest, EncodeAppends) {
  Event event;
  event.id = "c-1";
  std::string out = "prefix";
  EncodeEvent(event, &out);
  EXPECT_EQ(out, "prefix" + EncodeEvent(event));
}

// Pins the version-1 layout: if this test has to change, the on-disk format changed.
TEST(EventCodecTest, GoldenBytes) {
  Event checkin;
  checkin.type = EventType::kCheckin;
  checkin.id = "c-1";
  checkin.person = "P001";
  checkin.venue = "V";
  checkin.time = kNov20;
  const std::string checkin_bytes(
      "\x01\x01\x00"
      "\xa0\xeb\x05\xf8\xa1\x01\x00\x00"
      "\x03" "c-1"
      "\x04" "P001"
      "\x00"
      "\x01" "V",
      23);
  EXPECT_EQ(EncodeEvent(checkin), checkin_bytes);

  Event test;
  test.type = EventType::kTestResult;
  test.id = "t";
  test.person = "P";
  test.source = "s";
  test.time = kNov20;
  test.result = TestOutcome::kPositive;
  test.kind = TestKind::kPcr;
  test.resulted_at = kNov20 + 18 * kHour;
  test.lab = "L";
  const std::string test_bytes(
      "\x01\x03\x01"
      "\xa0\xeb\x05\xf8\xa1\x01\x00\x00"
      "\x01" "t"
      "\x01" "P"
      "\x01" "s"
      "\x01\x01"
      "\xa0\xb0\xe2\xfb\xa1\x01\x00\x00"
      "\x01" "L",
      29);
  EXPECT_EQ(EncodeEvent(test), test_bytes);

  Event declaration;
  declaration.type = EventType::kDeclaration;
  declaration.id = "d";
  declaration.person = "P";
  declaration.time = kNov20;
  declaration.onset = kNov20;
  declaration.symptoms = {"a", std::string(130, 'b')};
  std::string declaration_bytes(
      "\x01\x04\x02"
      "\xa0\xeb\x05\xf8\xa1\x01\x00\x00"
      "\x01" "d"
      "\x01" "P"
      "\x00"
      "\xa0\xeb\x05\xf8\xa1\x01\x00\x00"
      "\x02"
      "\x01" "a"
      "\x82\x01",
      29);
  declaration_bytes += std::string(130, 'b');
  EXPECT_EQ(EncodeEvent(declaration), declaration_bytes);

  for (const Event& event : {checkin, test, declaration}) {
    Event decoded;
    ASSERT_TRUE(DecodeEvent(EncodeEvent(event), &decoded));
    EXPECT_EQ(decoded, event);
  }
}

TEST(EventCodecTest, OnlyTheTypesOwnFieldsAreEncoded) {
  Event event;
  event.type = EventType::kCheckin;
  event.id = "c";
  event.venue = "V";
  event.onset = 5;
  event.resulted_at = 6;
  event.lab = "lab";
  event.symptoms = {"x"};
  Event decoded;
  ASSERT_TRUE(DecodeEvent(EncodeEvent(event), &decoded));
  Event expected;
  expected.type = EventType::kCheckin;
  expected.id = "c";
  expected.venue = "V";
  EXPECT_EQ(decoded, expected);
}

TEST(EventCodecTest, EveryTruncationFails) {
  RandomEvents events(2);
  for (int event_idx = 0; event_idx < 300; ++event_idx) {
    const Event event = events.Next();
    const std::string bytes = EncodeEvent(event);
    for (size_t length = 0; length < bytes.size(); ++length) {
      Event decoded;
      // A proper prefix can never be a whole encoding: the format has no optional tail.
      ASSERT_FALSE(DecodeEvent(std::string_view(bytes).substr(0, length), &decoded))
          << "event " << event_idx << " cut at " << length << " of " << bytes.size();
    }
  }
}

TEST(EventCodecTest, TrailingBytesFail) {
  Event event;
  event.id = "c";
  Event decoded;
  EXPECT_FALSE(DecodeEvent(EncodeEvent(event) + '\0', &decoded));
  EXPECT_FALSE(DecodeEvent(EncodeEvent(event) + EncodeEvent(event), &decoded));
}

TEST(EventCodecTest, RejectsBadHeadersAndEnums) {
  Event test;
  test.type = EventType::kTestResult;
  test.id = "t";
  const std::string good = EncodeEvent(test);
  Event decoded;
  ASSERT_TRUE(DecodeEvent(good, &decoded));

  const auto with_byte = [&](size_t pos, char value) {
    std::string bytes = good;
    bytes[pos] = value;
    return bytes;
  };
  EXPECT_FALSE(DecodeEvent(with_byte(0, 0), &decoded));     // version 0
  EXPECT_FALSE(DecodeEvent(with_byte(0, 2), &decoded));     // version 2
  EXPECT_FALSE(DecodeEvent(with_byte(1, 0), &decoded));     // type 0
  EXPECT_FALSE(DecodeEvent(with_byte(1, 5), &decoded));     // type 5
  EXPECT_FALSE(DecodeEvent(with_byte(2, 0x04), &decoded));  // unknown presence bit
  EXPECT_FALSE(DecodeEvent(with_byte(2, 0x02), &decoded));  // onset on a test result
  // Layout after the header: time (8), id (2), person (1), source (1), result, kind, lab.
  const size_t result_pos = 3 + 8 + 2 + 1 + 1;
  EXPECT_TRUE(DecodeEvent(with_byte(result_pos, 1), &decoded));
  EXPECT_FALSE(DecodeEvent(with_byte(result_pos, 2), &decoded));
  EXPECT_TRUE(DecodeEvent(with_byte(result_pos + 1, 2), &decoded));
  EXPECT_FALSE(DecodeEvent(with_byte(result_pos + 1, 3), &decoded));

  Event checkin;
  checkin.id = "c";
  const std::string checkin_bytes = EncodeEvent(checkin);
  std::string with_presence = checkin_bytes;
  with_presence[2] = 0x01;  // resulted_at on a check-in
  EXPECT_FALSE(DecodeEvent(with_presence, &decoded));
}

TEST(EventCodecTest, RejectsHugeLengthsWithoutAllocating) {
  const std::string header("\x01\x04\x00" "\x00\x00\x00\x00\x00\x00\x00\x00", 11);
  Event decoded;
  // id length 2^63 as a varint.
  EXPECT_FALSE(DecodeEvent(header + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10),
                           &decoded));
  // A varint longer than 10 bytes, and a 10th byte with more than one bit.
  EXPECT_FALSE(DecodeEvent(header + std::string(11, '\x80') + "\x01", &decoded));
  EXPECT_FALSE(DecodeEvent(header + std::string(9, '\xff') + "\x02", &decoded));
  // A symptom count of 2^40 with nothing behind it.
  EXPECT_FALSE(DecodeEvent(header + std::string("\x00\x00\x00" "\x80\x80\x80\x80\x80\x20", 9),
                           &decoded));
}

TEST(EventCodecTest, FailedDecodeLeavesTheEventAlone) {
  Event original;
  original.id = "keep";
  original.venue = "V";
  Event target = original;
  EXPECT_FALSE(DecodeEvent("\x01\x01", &target));
  EXPECT_EQ(target, original);
  Event other;
  other.type = EventType::kDeclaration;
  other.symptoms = {"x"};
  const std::string bytes = EncodeEvent(other);
  EXPECT_FALSE(DecodeEvent(std::string_view(bytes).substr(0, bytes.size() - 1), &target));
  EXPECT_EQ(target, original);
  // A successful decode replaces every field, leaving none of the old ones behind.
  ASSERT_TRUE(DecodeEvent(bytes, &target));
  EXPECT_EQ(target, other);
}

TEST(EventCodecTest, RandomGarbageNeverCrashes) {
  std::mt19937_64 rng(3);
  RandomEvents events(4);
  int decoded_count = 0;
  for (int sample_idx = 0; sample_idx < 20000; ++sample_idx) {
    std::string bytes;
    if (sample_idx % 2 == 0) {
      // Pure noise, sometimes with a valid-looking header.
      bytes.resize(rng() % 64);
      for (char& c : bytes) c = static_cast<char>(rng());
      if (bytes.size() >= 3 && rng() % 2 == 0) {
        bytes[0] = 1;
        bytes[1] = static_cast<char>(1 + rng() % 4);
        bytes[2] = static_cast<char>(rng() % 4);
      }
    } else {
      // A real encoding with a few bytes flipped.
      bytes = EncodeEvent(events.Next());
      for (int flip = static_cast<int>(rng() % 4) + 1; flip > 0; --flip) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      }
    }
    Event decoded;
    if (DecodeEvent(bytes, &decoded)) {
      ++decoded_count;
      // Whatever decodes is a usable event: it encodes and decodes again to itself.
      Event again;
      ASSERT_TRUE(DecodeEvent(EncodeEvent(decoded), &again));
      EXPECT_EQ(again, decoded);
    }
  }
  EXPECT_GT(decoded_count, 0);  // flips inside strings and times still decode
}

}  // namespace
}  // namespace ctrace
