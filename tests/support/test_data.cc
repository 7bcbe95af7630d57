#include "tests/support/test_data.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ctrace::test_support {

std::string TestDataDir() {
  const char* dir = std::getenv("CTRACE_TESTDATA");
  if (dir != nullptr && *dir != '\0') return dir;
  return CTRACE_SOURCE_TESTDATA;
}

std::vector<std::string> ExampleNames() {
  std::vector<std::string> names;
  const std::filesystem::path dir = std::filesystem::path(TestDataDir()) / "examples";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".ndjson") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> ReadLines(const std::string& path) {
  const std::string text = ReadFile(path);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

nlohmann::json ReadJsonFile(const std::string& path) {
  nlohmann::json value = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (value.is_discarded()) throw std::runtime_error("not JSON: " + path);
  return value;
}

}  // namespace ctrace::test_support
