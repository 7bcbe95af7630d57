#include "stores/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ctrace {
namespace {

std::string TimeKey(TimeMs t) {
  std::string key;
  PutTimeBE(&key, t);
  return key;
}

std::string Varint(uint64_t v) {
  std::string out;
  PutVarint64(&out, v);
  return out;
}

TEST(KeyCodecTest, Fixed64BEIsBigEndianAndRoundTrips) {
  std::string out;
  PutFixed64BE(&out, 0x0102030405060708ULL);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(GetFixed64BE(out), 0x0102030405060708ULL);
  out.clear();
  PutFixed64BE(&out, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out, std::string(8, '\xff'));
  EXPECT_EQ(GetFixed64BE(out), std::numeric_limits<uint64_t>::max());
}

TEST(KeyCodecTest, TimeBERoundTripsIncludingNegativeAndExtremes) {
  const std::vector<TimeMs> times = {kTimeMin, kTimeMin + 1, -1'000'000'000'000, -kDay, -1, 0, 1,
                                     kDay, 1'795'737'600'000, kTimeMax - 1, kTimeMax};
  for (const TimeMs t : times) {
    const std::string key = TimeKey(t);
    ASSERT_EQ(key.size(), 8u) << t;
    EXPECT_EQ(GetTimeBE(key), t) << t;
  }
}

TEST(KeyCodecTest, TimeBEByteOrderIsTimeOrder) {
  std::vector<TimeMs> times = {kTimeMin, kTimeMin + 1, -1'000'000'000'000, -kDay - 1, -kDay, -256,
                               -255, -1, 0, 1, 255, 256, kDay, 1'795'737'600'000, kTimeMax - 1,
                               kTimeMax};
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<TimeMs> any(kTimeMin, kTimeMax);
  std::uniform_int_distribution<TimeMs> near(-3 * kDay, 3 * kDay);
  for (int draw = 0; draw < 500; ++draw) {
    times.push_back(any(rng));
    times.push_back(near(rng));
  }
  for (const TimeMs a : times) {
    for (size_t pick = 0; pick < 20; ++pick) {
      const TimeMs b = times[(static_cast<size_t>(a) + pick * 7919) % times.size()];
      EXPECT_EQ(a < b, TimeKey(a) < TimeKey(b)) << a << " vs " << b;
      EXPECT_EQ(a == b, TimeKey(a) == TimeKey(b)) << a << " vs " << b;
    }
  }
  // Sorting the keys sorts the times.
  std::vector<std::string> keys;
  for (const TimeMs t : times) keys.push_back(TimeKey(t));
  std::sort(keys.begin(), keys.end());
  std::sort(times.begin(), times.end());
  for (size_t idx = 0; idx < keys.size(); ++idx) EXPECT_EQ(GetTimeBE(keys[idx]), times[idx]);
}

TEST(KeyCodecTest, NegativeTimeSortsBeforeZeroWithTrailingBytes) {
  // Keys are "prefix | T | more": the time must decide before the bytes that follow it.
  std::string neg = "p";
  neg.push_back(kKeySep);
  PutTimeBE(&neg, -1);
  neg.append("zzzz");
  std::string zero = "p";
  zero.push_back(kKeySep);
  PutTimeBE(&zero, 0);
  zero.append("a");
  EXPECT_LT(neg, zero);
}

TEST(KeyCodecTest, VarintRoundTripsAndHasExpectedLengths) {
  const std::vector<std::pair<uint64_t, size_t>> cases = {
      {0, 1},          {1, 1},           {127, 1},         {128, 2},
      {16383, 2},      {16384, 3},       {(1ULL << 21) - 1, 3}, {1ULL << 21, 4},
      {1ULL << 32, 5}, {(1ULL << 63) - 1, 9}, {1ULL << 63, 10}, {std::numeric_limits<uint64_t>::max(), 10},
  };
  for (const auto& [value, length] : cases) {
    const std::string bytes = Varint(value);
    EXPECT_EQ(bytes.size(), length) << value;
    ValueReader reader(bytes);
    uint64_t decoded = 0;
    ASSERT_TRUE(reader.GetVarint64(&decoded)) << value;
    EXPECT_EQ(decoded, value);
    EXPECT_TRUE(reader.empty()) << value;
  }
  EXPECT_EQ(Varint(300), std::string("\xac\x02", 2));
}

TEST(KeyCodecTest, SequenceOfValuesRoundTrips) {
  std::mt19937_64 rng(11);
  std::string bytes;
  std::vector<uint64_t> varints;
  std::vector<std::string> strings;
  std::vector<uint64_t> fixed;
  for (int item = 0; item < 200; ++item) {
    varints.push_back(rng() >> (rng() % 64));
    strings.push_back(std::string(rng() % 300, static_cast<char>('a' + item % 26)));
    fixed.push_back(rng());
    PutVarint64(&bytes, varints.back());
    PutLengthPrefixed(&bytes, strings.back());
    PutFixed64LE(&bytes, fixed.back());
    bytes.push_back(static_cast<char>(item));
  }
  ValueReader reader(bytes);
  for (int item = 0; item < 200; ++item) {
    uint64_t v = 0, f = 0;
    std::string_view s;
    uint8_t b = 0;
    ASSERT_TRUE(reader.GetVarint64(&v));
    ASSERT_TRUE(reader.GetLengthPrefixed(&s));
    ASSERT_TRUE(reader.GetFixed64LE(&f));
    ASSERT_TRUE(reader.GetByte(&b));
    EXPECT_EQ(v, varints[item]);
    EXPECT_EQ(s, strings[item]);
    EXPECT_EQ(f, fixed[item]);
    EXPECT_EQ(b, static_cast<uint8_t>(item));
  }
  EXPECT_TRUE(reader.empty());
}

TEST(KeyCodecTest, Fixed64LEIsLittleEndian) {
  std::string out;
  PutFixed64LE(&out, 0x0102030405060708ULL);
  EXPECT_EQ(out, std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
}

TEST(KeyCodecTest, ValueReaderEmptyInputFailsEveryRead) {
  ValueReader reader("");
  uint64_t v = 0;
  std::string_view s;
  uint8_t b = 0;
  EXPECT_TRUE(reader.empty());
  EXPECT_FALSE(reader.GetVarint64(&v));
  EXPECT_FALSE(reader.GetLengthPrefixed(&s));
  EXPECT_FALSE(reader.GetFixed64LE(&v));
  EXPECT_FALSE(reader.GetByte(&b));
}

TEST(KeyCodecTest, ValueReaderTruncatedVarint) {
  // Every strict prefix of a multi-byte varint ends on a continuation byte.
  const std::string full = Varint(std::numeric_limits<uint64_t>::max());
  for (size_t len = 0; len < full.size(); ++len) {
    ValueReader reader(std::string_view(full).substr(0, len));
    uint64_t v = 12345;
    EXPECT_FALSE(reader.GetVarint64(&v)) << "prefix of " << len << " bytes";
    EXPECT_TRUE(reader.empty());
  }
}

TEST(KeyCodecTest, ValueReaderRejectsOverlongVarint) {
  // Eleven continuation bytes: longer than any uint64 encoding.
  const std::string overlong = std::string(11, '\x80') + "tail";
  ValueReader reader(overlong);
  uint64_t v = 0;
  EXPECT_FALSE(reader.GetVarint64(&v));
  uint8_t b = 0;
  EXPECT_FALSE(reader.GetByte(&b)) << "a failed reader must stay failed";
}

TEST(KeyCodecTest, ValueReaderTruncatedLengthPrefixedFailsAndStaysFailed) {
  std::string bytes;
  PutVarint64(&bytes, 10);
  bytes.append("abc");              // 3 of the 10 bytes
  ValueReader reader(bytes);
  std::string_view s;
  EXPECT_FALSE(reader.GetLengthPrefixed(&s));
  EXPECT_TRUE(reader.empty());

  // Claimed length exceeds what follows even though later bytes exist.
  std::string lying;
  PutVarint64(&lying, 100);
  lying.append(20, 'x');
  ValueReader reader2(lying);
  EXPECT_FALSE(reader2.GetLengthPrefixed(&s));
  uint64_t v = 0;
  EXPECT_FALSE(reader2.GetFixed64LE(&v)) << "a failed reader must stay failed";
  uint8_t b = 0;
  EXPECT_FALSE(reader2.GetByte(&b));
}

TEST(KeyCodecTest, ValueReaderTruncatedFixed64) {
  std::string bytes;
  PutFixed64LE(&bytes, 0xdeadbeefcafef00dULL);
  for (size_t len = 0; len < 8; ++len) {
    ValueReader reader(std::string_view(bytes).substr(0, len));
    uint64_t v = 0;
    EXPECT_FALSE(reader.GetFixed64LE(&v)) << len;
    EXPECT_TRUE(reader.empty()) << len;
  }
  ValueReader whole(bytes);
  uint64_t v = 0;
  ASSERT_TRUE(whole.GetFixed64LE(&v));
  EXPECT_EQ(v, 0xdeadbeefcafef00dULL);
}

TEST(KeyCodecTest, ValueReaderLengthPrefixedEmptyString) {
  std::string bytes;
  PutLengthPrefixed(&bytes, "");
  PutLengthPrefixed(&bytes, std::string("\0\xff", 2));
  ValueReader reader(bytes);
  std::string_view s = "sentinel";
  ASSERT_TRUE(reader.GetLengthPrefixed(&s));
  EXPECT_TRUE(s.empty());
  ASSERT_TRUE(reader.GetLengthPrefixed(&s));
  EXPECT_EQ(s, std::string_view("\0\xff", 2));
  EXPECT_TRUE(reader.empty());
}

TEST(KeyCodecTest, PrefixSuccessorBasics) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("ab\xff", 3)), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  EXPECT_EQ(PrefixSuccessor(std::string("p\0", 2)), std::string("p\x01", 2));
  EXPECT_EQ(PrefixSuccessor(std::string("a\x7f", 2)), std::string("a\x80", 2));
  EXPECT_EQ(PrefixSuccessor(std::string("a\xfe", 2)), std::string("a\xff", 2));
}

TEST(KeyCodecTest, PrefixSuccessorBoundsEveryExtension) {
  std::mt19937_64 rng(3);
  const std::string alphabet("\x00\x01\x7f\x80\xfe\xff" "a", 7);
  auto random_string = [&](size_t max_len) {
    std::string s(rng() % (max_len + 1), '\0');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    const std::string prefix = random_string(4);
    const std::string succ = PrefixSuccessor(prefix);
    const std::string extended = prefix + random_string(4);
    // Every key with the prefix lies below the successor (empty: unbounded).
    if (!succ.empty()) {
      EXPECT_LT(extended, succ);
      EXPECT_LT(prefix, succ);
    } else {
      EXPECT_EQ(prefix.find_first_not_of('\xff'), std::string::npos);
    }
    // And every key above them without the prefix is at or above it.
    const std::string other = random_string(6);
    if (other.compare(0, prefix.size(), prefix) != 0 && other > prefix && !succ.empty()) {
      EXPECT_GE(other, succ) << "prefix size " << prefix.size();
    }
  }
}

}  // namespace
}  // namespace ctrace
