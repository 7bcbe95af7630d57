// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace ctrace::test_support {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX" with mkdtemp; throws std::runtime_error if it cannot
  // (a broken test machine, not a test outcome).
  explicit TempDir(const std::string& prefix = "ctrace-test-");
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory (not created).
  std::filesystem::path Sub(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace ctrace::test_support
