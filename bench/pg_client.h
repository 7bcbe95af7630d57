// A thin synchronous libpq client for the PostgreSQL side-by-side benchmark
// (bench/pg_side_by_side.cc): one connection, plain statements, prepared statements with text
// parameters, and COPY FROM STDIN of a text buffer.
//
// Failures come back as values (false / nullopt with `error()` set), never as exceptions. Not
// thread-safe: one client per thread. The connection closes with the object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace ctrace::bench {

// The rows of a result as text, row by row; a NULL is an empty string.
using PgRows = std::vector<std::vector<std::string>>;

class PgClient {
 public:
  // Connects with a libpq connection string ("host=/tmp/x port=5433 dbname=postgres user=u").
  // Check connected() before use.
  explicit PgClient(const std::string& conninfo);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  bool connected() const { return connected_; }
  // What the last failed call reported (PostgreSQL's message, trimmed).
  const std::string& error() const { return error_; }

  // Runs one or more statements without parameters; the rows of the last one.
  [[nodiscard]] std::optional<PgRows> Exec(std::string_view sql);
  // Prepares `sql` as `name`, its parameters typed by the SQL text ($1::timestamptz, ...).
  [[nodiscard]] bool Prepare(const std::string& name, const std::string& sql, int params);
  // Runs the prepared statement `name` with text parameters.
  [[nodiscard]] std::optional<PgRows> ExecPrepared(const std::string& name,
                                                   const std::vector<std::string>& params);
  // COPY ... FROM STDIN with `copy_sql`, sending `data` (the COPY text format) in chunks.
  // Returns the number of rows the server reports as copied.
  [[nodiscard]] std::optional<uint64_t> CopyIn(std::string_view copy_sql, std::string_view data);

 private:
  bool Fail(std::string message);

  pg_conn* conn_ = nullptr;
  bool connected_ = false;
  std::string error_;
};

}  // namespace ctrace::bench
