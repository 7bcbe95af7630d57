#include "bench/pg_client.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace ctrace::bench {

namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

PgRows RowsOf(PGresult* result) {
  PgRows rows(static_cast<size_t>(PQntuples(result)));
  const int columns = PQnfields(result);
  for (size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    rows[row_idx].reserve(static_cast<size_t>(columns));
    for (int column = 0; column < columns; ++column) {
      const int row = static_cast<int>(row_idx);
      rows[row_idx].emplace_back(PQgetvalue(result, row, column),
                                 static_cast<size_t>(PQgetlength(result, row, column)));
    }
  }
  return rows;
}

bool Succeeded(PGresult* result) {
  const auto status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

PgClient::PgClient(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (conn_ == nullptr) {
    error_ = "out of memory";
  } else if (PQstatus(conn_) != CONNECTION_OK) {
    error_ = Trimmed(PQerrorMessage(conn_));
  } else {
    connected_ = true;
  }
}

PgClient::~PgClient() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PgClient::Fail(std::string message) {
  error_ = std::move(message);
  return false;
}

std::optional<PgRows> PgClient::Exec(std::string_view sql) {
  const std::string text(sql);
  Result result(PQexec(conn_, text.c_str()));
  if (!Succeeded(result.get())) {
    Fail(Trimmed(PQerrorMessage(conn_)));
    return std::nullopt;
  }
  return RowsOf(result.get());
}

bool PgClient::Prepare(const std::string& name, const std::string& sql, int params) {
  Result result(PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr));
  if (!Succeeded(result.get())) return Fail(name + ": " + Trimmed(PQerrorMessage(conn_)));
  return true;
}

std::optional<PgRows> PgClient::ExecPrepared(const std::string& name, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param.c_str());
  Result result(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                               nullptr, /*resultFormat=*/0));
  if (!Succeeded(result.get())) {
    Fail(name + ": " + Trimmed(PQerrorMessage(conn_)));
    return std::nullopt;
  }
  return RowsOf(result.get());
}

std::optional<uint64_t> PgClient::CopyIn(std::string_view copy_sql, std::string_view data) {
  const std::string text(copy_sql);
  Result started(PQexec(conn_, text.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
    Fail(Trimmed(PQerrorMessage(conn_)));
    return std::nullopt;
  }
  constexpr size_t kChunk = 1 << 20;
  for (size_t offset = 0; offset < data.size(); offset += kChunk) {
    const size_t length = std::min(kChunk, data.size() - offset);
    if (PQputCopyData(conn_, data.data() + offset, static_cast<int>(length)) != 1) {
      Fail(Trimmed(PQerrorMessage(conn_)));
      return std::nullopt;
    }
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    Fail(Trimmed(PQerrorMessage(conn_)));
    return std::nullopt;
  }
  Result finished(PQgetResult(conn_));
  const bool copied = PQresultStatus(finished.get()) == PGRES_COMMAND_OK;
  const uint64_t rows = copied ? std::strtoull(PQcmdTuples(finished.get()), nullptr, 10) : 0;
  if (!copied) Fail(Trimmed(PQerrorMessage(conn_)));
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  if (!copied) return std::nullopt;
  return rows;
}

}  // namespace ctrace::bench
