#include "processors/erase_pass.h"

#include <chrono>
#include <filesystem>

namespace ctrace {

int64_t DirectoryBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

ErasePass::ErasePass(std::string data_dir, EmbeddedLog* log, StateStore* store, TracingEngine* engine)
    : data_dir_(std::move(data_dir)), log_(log), store_(store), engine_(engine) {}

bool ErasePass::Run(TimeMs now, EraseReport* report, std::string* error) {
  const auto started = std::chrono::steady_clock::now();
  *report = EraseReport{};
  report->cut = now - engine_->params().retention;
  report->finished_at = now;
  report->bytes_before = DirectoryBytes(data_dir_);
  bool more = true;
  while (more) {
    ApplyCounts counts;
    if (!engine_->Expire(now, store_->Applied(), 10'000, &counts, &more, error)) return false;
    report->erased_events += counts.expired;
  }
  if (!engine_->ForgetExpired(now, store_->Applied(), &report->erased_alerts, error)) return false;
  if (log_ != nullptr && !log_->EraseBefore(report->cut, &report->erased_log_events, error)) return false;
  if (!store_->CompactAll(error)) return false;
  report->bytes_after = DirectoryBytes(data_dir_);
  report->duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return true;
}

}  // namespace ctrace
