// Fixed-width big-endian encodings for keys, so that byte order is numeric order, and small
// helpers for values. Every key layout of the state store is documented in state_store.h next
// to the code that writes it.
//
// On-disk format: DO NOT CHANGE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/time.h"

namespace ctrace {

// The separator between a variable-length id and what follows it in a key. Person, venue and
// event ids never contain it (their characters are printable ASCII).
inline constexpr char kKeySep = '\0';

// Appends `v` as 8 bytes, big-endian.
void PutFixed64BE(std::string* out, uint64_t v);
uint64_t GetFixed64BE(std::string_view in);  // in.size() >= 8

// Times are signed: the sign bit is flipped so that negative times sort before positive ones.
void PutTimeBE(std::string* out, TimeMs t);
TimeMs GetTimeBE(std::string_view in);  // in.size() >= 8

// Value helpers: varint-length-prefixed strings and little-endian fixed integers.
void PutVarint64(std::string* out, uint64_t v);
void PutLengthPrefixed(std::string* out, std::string_view s);
void PutFixed64LE(std::string* out, uint64_t v);

// A forward reader over a value; every Get* returns false on truncated or malformed input and
// leaves the reader in a failed state.
class ValueReader {
 public:
  explicit ValueReader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool GetVarint64(uint64_t* v);
  [[nodiscard]] bool GetLengthPrefixed(std::string_view* s);
  [[nodiscard]] bool GetFixed64LE(uint64_t* v);
  [[nodiscard]] bool GetByte(uint8_t* b);
  bool empty() const { return in_.empty(); }

 private:
  std::string_view in_;
};

// The smallest key greater than every key starting with `prefix`, for iterator upper bounds.
// Empty when there is none (prefix of all 0xff).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace ctrace
