#include "tests/support/json_diff.h"

#include <vector>

namespace ctrace::test_support {
namespace {

using nlohmann::json;

std::string Short(const json& value) {
  std::string text = value.dump();
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

void Diff(const json& expected, const json& actual, const std::string& path,
          std::vector<std::string>* out, size_t max) {
  if (out->size() >= max || expected == actual) return;
  const std::string where = path.empty() ? "(root)" : path;
  if (expected.is_object() && actual.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) {
        out->push_back(path + "." + key + ": missing (expected " + Short(value) + ")");
      } else {
        Diff(value, actual.at(key), path + "." + key, out, max);
      }
      if (out->size() >= max) return;
    }
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key) && out->size() < max) {
        out->push_back(path + "." + key + ": unexpected " + Short(value));
      }
    }
    return;
  }
  if (expected.is_array() && actual.is_array()) {
    if (expected.size() != actual.size()) {
      out->push_back(where + " length: expected " + std::to_string(expected.size()) + ", got " +
                     std::to_string(actual.size()));
    }
    const size_t n = std::max(expected.size(), actual.size());
    for (size_t i = 0; i < n && out->size() < max; ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (i >= actual.size()) {
        out->push_back(at + ": missing (expected " + Short(expected[i]) + ")");
      } else if (i >= expected.size()) {
        out->push_back(at + ": unexpected " + Short(actual[i]));
      } else {
        Diff(expected[i], actual[i], at, out, max);
      }
    }
    return;
  }
  out->push_back(where + ": expected " + Short(expected) + ", got " + Short(actual));
}

}  // namespace

std::string JsonDiff(const json& expected, const json& actual, const std::string& path,
                     int max_differences) {
  std::vector<std::string> lines;
  Diff(expected, actual, path, &lines, static_cast<size_t>(max_differences));
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace ctrace::test_support
