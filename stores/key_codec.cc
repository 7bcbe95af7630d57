#include "stores/key_codec.h"

namespace ctrace {

void PutFixed64BE(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t GetFixed64BE(std::string_view in) {
  uint64_t v = 0;
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) v = (v << 8) | static_cast<uint8_t>(in[byte_idx]);
  return v;
}

void PutTimeBE(std::string* out, TimeMs t) {
  PutFixed64BE(out, static_cast<uint64_t>(t) ^ (uint64_t{1} << 63));
}

TimeMs GetTimeBE(std::string_view in) {
  return static_cast<TimeMs>(GetFixed64BE(in) ^ (uint64_t{1} << 63));
}

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

void PutFixed64LE(std::string* out, uint64_t v) {
  for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

bool ValueReader::GetVarint64(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (in_.empty()) return false;
    const auto byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  in_ = {};
  return false;
}

bool ValueReader::GetLengthPrefixed(std::string_view* s) {
  uint64_t len = 0;
  if (!GetVarint64(&len) || len > in_.size()) {
    in_ = {};
    return false;
  }
  *s = in_.substr(0, len);
  in_.remove_prefix(len);
  return true;
}

bool ValueReader::GetFixed64LE(uint64_t* v) {
  if (in_.size() < 8) {
    in_ = {};
    return false;
  }
  uint64_t result = 0;
  for (int byte_idx = 7; byte_idx >= 0; --byte_idx) result = (result << 8) | static_cast<uint8_t>(in_[byte_idx]);
  in_.remove_prefix(8);
  *v = result;
  return true;
}

bool ValueReader::GetByte(uint8_t* b) {
  if (in_.empty()) return false;
  *b = static_cast<uint8_t>(in_.front());
  in_.remove_prefix(1);
  return true;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto& last = out.back();
    if (static_cast<uint8_t>(last) != 0xff) {
      last = static_cast<char>(static_cast<uint8_t>(last) + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

}  // namespace ctrace
