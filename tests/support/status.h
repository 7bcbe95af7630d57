// The result of a test-support operation that can fail for an expected reason (a process that
// does not start, a request that times out): a value, never an exception.
#pragma once

#include <string>
#include <utility>

namespace ctrace::test_support {

class [[nodiscard]] Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  // Empty when ok(); otherwise says what failed, with enough context for a test message.
  const std::string& message() const { return message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

}  // namespace ctrace::test_support
