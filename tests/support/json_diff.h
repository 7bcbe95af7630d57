// Where two JSON values differ, said so that a failing test names the field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ctrace::test_support {

// Empty when `expected == actual`; else up to `max_differences` lines like
//   "[3].window.start: expected \"2026-11-20T08:30:00Z\", got \"2026-11-20T08:35:00Z\""
//   "[7]: missing (expected {...})", "length: expected 12, got 11"
// with `path` as the prefix of every location. Object keys are compared as sets (no order in
// JSON objects); arrays element by element, in order.
std::string JsonDiff(const nlohmann::json& expected, const nlohmann::json& actual,
                     const std::string& path = "", int max_differences = 8);

}  // namespace ctrace::test_support
