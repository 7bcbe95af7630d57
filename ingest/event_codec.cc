#include "ingest/event_codec.h"

#include <cstdint>

namespace ctrace {
namespace {

// On-disk format, version 1. DO NOT CHANGE: a new layout takes a new version byte, and
// DecodeEvent must keep reading the old ones.
//
//   u8       version = 1
//   u8       type (EventType value, 1..4)
//   u8       presence bits: bit 0 resulted_at, bit 1 onset; the other bits are 0
//   fixed64  time (little-endian, two's complement)
//   string   id
//   string   person
//   string   source (empty when absent)
//   then by type:
//     checkin, checkout:  string venue
//     test_result:        u8 result (TestOutcome, 0..1), u8 kind (TestKind, 0..2),
//                         [fixed64 resulted_at when bit 0], string lab
//     declaration:        [fixed64 onset when bit 1], varint count, count x string symptom
//
// A string is a varint byte length followed by the bytes. A varint is LEB128 (7 bits per byte,
// least significant first, high bit = more follows), at most 10 bytes for 64 bits.
// Only the fields of the event's own type are written: an Event of type checkin with `onset`
// set encodes without it. The encoding must end exactly where the last field does.

constexpr uint8_t kVersion = 1;
constexpr uint8_t kHasResultedAt = 1 << 0;
constexpr uint8_t kHasOnset = 1 << 1;
constexpr uint8_t kKnownPresenceBits = kHasResultedAt | kHasOnset;

void PutU8(std::string* out, uint8_t value) { out->push_back(static_cast<char>(value)); }

void PutFixed64(std::string* out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
    out->push_back(static_cast<char>((bits >> (8 * byte_idx)) & 0xff));
  }
}

void PutVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void PutString(std::string* out, std::string_view text) {
  PutVarint(out, text.size());
  out->append(text);
}

// Reads from untrusted bytes: every getter checks the remaining length and fails cleanly.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool AtEnd() const { return pos_ == bytes_.size(); }

  bool GetU8(uint8_t* value) {
    if (pos_ >= bytes_.size()) return false;
    *value = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }

  bool GetFixed64(int64_t* value) {
    if (bytes_.size() - pos_ < 8) return false;
    uint64_t bits = 0;
    for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
      bits |= uint64_t{static_cast<uint8_t>(bytes_[pos_ + byte_idx])} << (8 * byte_idx);
    }
    pos_ += 8;
    *value = static_cast<int64_t>(bits);
    return true;
  }

  bool GetVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte = 0;
      if (!GetU8(&byte)) return false;
      const uint64_t payload = byte & 0x7f;
      // The tenth byte holds only the top bit of a 64-bit value.
      if (shift == 63 && payload > 1) return false;
      result |= payload << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  bool GetString(std::string* out) {
    uint64_t length = 0;
    if (!GetVarint(&length) || length > bytes_.size() - pos_) return false;
    out->assign(bytes_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

bool DecodeTypeFields(Reader* reader, uint8_t presence, Event* event) {
  switch (event->type) {
    case EventType::kCheckin:
    case EventType::kCheckout:
      return presence == 0 && reader->GetString(&event->venue);

    case EventType::kTestResult: {
      if ((presence & kHasOnset) != 0) return false;
      uint8_t result = 0;
      uint8_t kind = 0;
      if (!reader->GetU8(&result) || result > static_cast<uint8_t>(TestOutcome::kPositive) ||
          !reader->GetU8(&kind) || kind > static_cast<uint8_t>(TestKind::kAntigen)) {
        return false;
      }
      event->result = static_cast<TestOutcome>(result);
      event->kind = static_cast<TestKind>(kind);
      if ((presence & kHasResultedAt) != 0) {
        int64_t resulted_at = 0;
        if (!reader->GetFixed64(&resulted_at)) return false;
        event->resulted_at = resulted_at;
      }
      return reader->GetString(&event->lab);
    }

    case EventType::kDeclaration: {
      if ((presence & kHasResultedAt) != 0) return false;
      if ((presence & kHasOnset) != 0) {
        int64_t onset = 0;
        if (!reader->GetFixed64(&onset)) return false;
        event->onset = onset;
      }
      uint64_t count = 0;
      // Each symptom takes at least its length byte, which bounds the count before reserving.
      if (!reader->GetVarint(&count) || count > reader->remaining()) return false;
      event->symptoms.resize(count);
      for (std::string& symptom : event->symptoms) {
        if (!reader->GetString(&symptom)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

void EncodeEvent(const Event& event, std::string* out) {
  uint8_t presence = 0;
  if (event.type == EventType::kTestResult && event.resulted_at) presence |= kHasResultedAt;
  if (event.type == EventType::kDeclaration && event.onset) presence |= kHasOnset;

  PutU8(out, kVersion);
  PutU8(out, static_cast<uint8_t>(event.type));
  PutU8(out, presence);
  PutFixed64(out, event.time);
  PutString(out, event.id);
  PutString(out, event.person);
  PutString(out, event.source);
  switch (event.type) {
    case EventType::kCheckin:
    case EventType::kCheckout:
      PutString(out, event.venue);
      break;
    case EventType::kTestResult:
      PutU8(out, static_cast<uint8_t>(event.result));
      PutU8(out, static_cast<uint8_t>(event.kind));
      if (event.resulted_at) PutFixed64(out, *event.resulted_at);
      PutString(out, event.lab);
      break;
    case EventType::kDeclaration:
      if (event.onset) PutFixed64(out, *event.onset);
      PutVarint(out, event.symptoms.size());
      for (const std::string& symptom : event.symptoms) PutString(out, symptom);
      break;
  }
}

std::string EncodeEvent(const Event& event) {
  std::string out;
  EncodeEvent(event, &out);
  return out;
}

// *event is left unchanged when false is returned.
bool DecodeEvent(std::string_view bytes, Event* event) {
  Reader reader(bytes);
  uint8_t version = 0;
  uint8_t type = 0;
  uint8_t presence = 0;
  if (!reader.GetU8(&version) || version != kVersion || !reader.GetU8(&type) ||
      type < static_cast<uint8_t>(EventType::kCheckin) ||
      type > static_cast<uint8_t>(EventType::kDeclaration) || !reader.GetU8(&presence) ||
      (presence & ~kKnownPresenceBits) != 0) {
    return false;
  }

  Event decoded;
  decoded.type = static_cast<EventType>(type);
  if (!reader.GetFixed64(&decoded.time) || !reader.GetString(&decoded.id) ||
      !reader.GetString(&decoded.person) || !reader.GetString(&decoded.source) ||
      !DecodeTypeFields(&reader, presence, &decoded) || !reader.AtEnd()) {
    return false;
  }
  *event = std::move(decoded);
  return true;
}

}  // namespace ctrace
