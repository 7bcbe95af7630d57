#include "tests/support/reference_decoder.h"

#include <nlohmann/json.hpp>

namespace ctrace::test_support {
namespace {

using nlohmann::json;

// The outcome of checking one field: empty when fine, else the reason code.
using Problem = std::string;

bool IsIdChar(char c) { return c >= 0x21 && c <= 0x7e; }  // printable ASCII without space

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

// A required string field with 1..max_len bytes, each accepted by `ok_char`.
template <typename CharPred>
Problem RequiredName(const json& obj, const char* name, size_t max_len, CharPred ok_char,
                     std::string* out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return std::string("missing_field:") + name;
  if (!it->is_string()) return std::string("bad_field:") + name;
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty() || text.size() > max_len) return std::string("bad_field:") + name;
  for (const char c : text) {
    if (!ok_char(c)) return std::string("bad_field:") + name;
  }
  *out = text;
  return {};
}

// An optional string field of at most max_len bytes (any content).
Problem OptionalText(const json& obj, const char* name, size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end()) return {};
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_len) {
    return std::string("bad_field:") + name;
  }
  return {};
}

Problem Time(const json& obj, const char* name, bool required, std::optional<Millis>* out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return required ? std::string("missing_field:") + name : Problem();
  if (!it->is_string()) return std::string("bad_time:") + name;
  const auto parsed = ParseRfc3339(it->get_ref<const std::string&>());
  if (!parsed) return std::string("bad_time:") + name;
  *out = parsed;
  return {};
}

Problem Enum(const json& obj, const char* name, bool required,
             std::initializer_list<const char*> allowed, std::string* out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return required ? std::string("missing_field:") + name : Problem();
  if (!it->is_string()) return std::string("bad_field:") + name;
  for (const char* value : allowed) {
    if (it->get_ref<const std::string&>() == value) {
      *out = value;
      return {};
    }
  }
  return std::string("bad_field:") + name;
}

Problem Symptoms(const json& obj) {
  const auto it = obj.find("symptoms");
  if (it == obj.end()) return {};
  if (!it->is_array() || it->size() > 16) return "bad_field:symptoms";
  for (const auto& s : *it) {
    if (!s.is_string() || s.get_ref<const std::string&>().size() > 32) return "bad_field:symptoms";
  }
  return {};
}

Problem DecodeTyped(const json& obj, RefEvent* ev) {
  Problem p;
  std::optional<Millis> t;
  switch (ev->type) {
    case RefEventType::kCheckin:
    case RefEventType::kCheckout:
      if (!(p = RequiredName(obj, "venue", 64, IsNameChar, &ev->venue)).empty()) return p;
      if (!(p = Time(obj, "ts", true, &t)).empty()) return p;
      ev->ts = *t;
      return {};
    case RefEventType::kTestResult: {
      if (!(p = Time(obj, "sampled_at", true, &t)).empty()) return p;
      ev->sampled_at = *t;
      std::string result;
      if (!(p = Enum(obj, "result", true, {"positive", "negative"}, &result)).empty()) return p;
      ev->positive = result == "positive";
      if (!(p = Time(obj, "resulted_at", false, &ev->resulted_at)).empty()) return p;
      std::string kind;
      if (!(p = Enum(obj, "kind", false, {"pcr", "antigen"}, &kind)).empty()) return p;
      return OptionalText(obj, "lab", 64);
    }
    case RefEventType::kDeclaration:
      if (!(p = Time(obj, "ts", true, &t)).empty()) return p;
      ev->ts = *t;
      if (!(p = Time(obj, "onset", false, &ev->onset)).empty()) return p;
      return Symptoms(obj);
  }
  return "unknown_type";
}

}  // namespace

RefJudgement JudgeLine(std::string_view line, const ReferenceParams& params, Millis now) {
  RefJudgement out;
  if (line.size() > params.max_event_bytes) {
    out.reason = "too_large";
    return out;
  }
  const json obj = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded() || !obj.is_object()) {
    out.reason = "malformed_json";
    return out;
  }
  if (const auto id = obj.find("id"); id != obj.end() && id->is_string()) {
    out.id = id->get<std::string>();
  }
  RefEvent ev;
  const auto type = obj.find("type");
  const std::string type_name =
      (type != obj.end() && type->is_string()) ? type->get<std::string>() : std::string();
  if (type_name == "checkin") {
    ev.type = RefEventType::kCheckin;
  } else if (type_name == "checkout") {
    ev.type = RefEventType::kCheckout;
  } else if (type_name == "test_result") {
    ev.type = RefEventType::kTestResult;
  } else if (type_name == "declaration") {
    ev.type = RefEventType::kDeclaration;
  } else {
    out.reason = "unknown_type";
    return out;
  }
  Problem p;
  if (!(p = RequiredName(obj, "id", 128, IsIdChar, &ev.id)).empty() ||
      !(p = RequiredName(obj, "person", 64, IsNameChar, &ev.person)).empty() ||
      !(p = OptionalText(obj, "source", 64)).empty() || !(p = DecodeTyped(obj, &ev)).empty()) {
    out.reason = p;
    return out;
  }
  const Millis t = ev.EventTime();
  if (t < now - params.retention) {
    out.reason = "too_old";
    return out;
  }
  if (t > now + params.max_clock_skew) {
    out.reason = "in_future";
    return out;
  }
  if ((ev.resulted_at && *ev.resulted_at < ev.sampled_at) ||
      (ev.type == RefEventType::kDeclaration && ev.onset && *ev.onset > ev.ts)) {
    out.reason = "inconsistent";
    return out;
  }
  out.event = std::move(ev);
  return out;
}

}  // namespace ctrace::test_support
