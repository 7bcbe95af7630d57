// Where the tests' data files are and how to read them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctrace::test_support {

// $CTRACE_TESTDATA (set by ctest), else the source tree's tests/data (compiled in).
std::string TestDataDir();

// The names of the worked examples ("01-basic-f1-f2", ...), sorted, from
// TestDataDir()/examples/*.ndjson.
std::vector<std::string> ExampleNames();

// The lines of a file, without line ends; a final empty line (after the last '\n') is not
// a line. Throws std::runtime_error when the file cannot be read.
std::vector<std::string> ReadLines(const std::string& path);

// A JSON file. Throws std::runtime_error when it cannot be read or parsed.
nlohmann::json ReadJsonFile(const std::string& path);

}  // namespace ctrace::test_support
