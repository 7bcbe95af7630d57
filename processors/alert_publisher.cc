#include "processors/alert_publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "stores/key_codec.h"

namespace ctrace {

namespace {

constexpr uint8_t kMarkVersion = 1;
constexpr const char* kSeqHeader = "seq";
constexpr const char* kStoreHeader = "store";

std::string NewStoreId() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device() ^
                      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(rng()));
  return text;
}

bool ParseSeq(std::string_view text, uint64_t* seq) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *seq = value;
  return true;
}

void AppendCounter(std::string_view name, std::string_view help, uint64_t value, std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" counter\n");
  out->append(name).append(" ").append(std::to_string(value)).append("\n");
}

void AppendGauge(std::string_view name, std::string_view help, uint64_t value, std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" gauge\n");
  out->append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

AlertPublisher::AlertPublisher(StateStore* store, AlertFeed* feed, TopicWriter* writer, FormatFn format,
                               AlertPublisherOptions options)
    : store_(store),
      feed_(feed),
      writer_(writer),
      format_(std::move(format)),
      options_(options),
      wake_(std::make_shared<Wake>()) {}

AlertPublisher::~AlertPublisher() { Stop(std::chrono::milliseconds(0)); }

const std::string& AlertPublisher::KeyOf(const AlertView& alert) {
  switch (alert.type) {
    case AlertType::kClusterChanged:
    case AlertType::kClusterDissolved:
      return alert.id;
    case AlertType::kVenueHotspot:
      return alert.venue;
    case AlertType::kCaseNew:
    case AlertType::kExposureNew:
    case AlertType::kExposureChanged:
    case AlertType::kExposureRetracted:
      break;
  }
  return alert.person;
}

void AlertPublisher::Start() {
  if (thread_.joinable()) return;
  stop_requested_ = false;
  exited_ = false;
  if (feed_ != nullptr) {
    // The listener may run after Unsubscribe returned (AlertFeed calls it outside its lock), so
    // it holds the wake state, never `this`.
    feed_subscription_ = feed_->Subscribe([wake = wake_](uint64_t) {
      {
        std::lock_guard<std::mutex> lock(wake->mutex);
        wake->woken = true;
      }
      wake->cv.notify_all();
    });
  }
  thread_ = std::thread([this] { Run(); });
}

void AlertPublisher::Stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(wake_->mutex);
    stop_requested_ = true;
  }
  wake_->cv.notify_all();
  {
    std::unique_lock<std::mutex> lock(wake_->mutex);
    wake_->cv.wait_for(lock, drain, [&] { return exited_.load(); });
  }
  // Whatever is still in flight is given up; it is produced (or found on the topic) at the next
  // start.
  if (!exited_.load()) writer_->Cancel();
  thread_.join();
  if (feed_ != nullptr) feed_->Unsubscribe(feed_subscription_);
}

void AlertPublisher::Run() {
  auto backoff = options_.retry_wait;
  while (true) {
    bool did_work = false;
    std::string error;
    const bool ok = Round(&did_work, &error);
    if (ok) {
      failing_ = false;
      backoff = options_.retry_wait;
    } else {
      failing_ = true;
      ++failed_rounds_;
      spdlog::warn("component=alert_publisher produced_through={} retry_ms={} error=\"{}\"", through_,
                   backoff.count(), error);
    }
    std::unique_lock<std::mutex> lock(wake_->mutex);
    // Stopping: once caught up (or failing), leave; what is left goes at the next start.
    if (stop_requested_.load() && (!ok || !did_work)) break;
    if (ok && did_work) continue;
    wake_->cv.wait_for(lock, ok ? options_.poll_interval : backoff,
                       [&] { return wake_->woken || stop_requested_.load(); });
    wake_->woken = false;
    if (!ok) backoff = std::min(backoff * 2, options_.max_retry_wait);
  }
  if (resumed_) {
    std::string error;
    if (!SaveMark(&error)) spdlog::warn("component=alert_publisher error=\"{}\"", error);
  }
  spdlog::info("component=alert_publisher stopped produced_through={} produced={}", through_, produced_.load());
  {
    std::lock_guard<std::mutex> lock(wake_->mutex);
    exited_ = true;
  }
  wake_->cv.notify_all();
}

bool AlertPublisher::RunOnce(bool* did_work, std::string* error) { return Round(did_work, error); }

std::string AlertPublisher::EncodeMark() const {
  std::string out;
  out.push_back(static_cast<char>(kMarkVersion));
  PutLengthPrefixed(&out, store_id_);
  PutVarint64(&out, through_);
  PutVarint64(&out, offsets_.size());
  for (const auto& [partition, offset] : offsets_) {
    PutVarint64(&out, static_cast<uint64_t>(partition));
    PutVarint64(&out, static_cast<uint64_t>(offset));
  }
  return out;
}

bool AlertPublisher::SaveMark(std::string* error) {
  std::string mark = EncodeMark();
  if (!store_->PutMark(kMarkName, mark, error)) return false;
  saved_mark_ = std::move(mark);
  return true;
}

bool AlertPublisher::Resume(std::string* error) {
  present_.clear();
  const std::optional<std::string> mark = store_->GetMark(kMarkName);
  if (!mark) {
    // Never produced from this store: nothing of it can be on the topic. Alerts go after what
    // the topic holds now.
    store_id_ = NewStoreId();
    through_ = 0;
    if (!writer_->EndOffsets(&offsets_, error)) return false;
    if (!SaveMark(error)) return false;
    spdlog::info("component=alert_publisher store={} produced_through=0 partitions={}", store_id_, offsets_.size());
  } else {
    ValueReader reader(*mark);
    uint8_t version = 0;
    std::string_view id;
    uint64_t through = 0, count = 0;
    TopicOffsets offsets;
    bool ok = reader.GetByte(&version) && version == kMarkVersion && reader.GetLengthPrefixed(&id) &&
              reader.GetVarint64(&through) && reader.GetVarint64(&count);
    for (uint64_t entry = 0; ok && entry < count; ++entry) {
      uint64_t partition = 0, offset = 0;
      ok = reader.GetVarint64(&partition) && reader.GetVarint64(&offset);
      offsets[static_cast<int32_t>(partition)] = static_cast<int64_t>(offset);
    }
    if (!ok) {
      *error = "the stored alerts_produced mark cannot be read";
      return false;
    }
    store_id_ = std::string(id);
    through_ = through;
    offsets_ = std::move(offsets);
    saved_mark_ = *mark;
    // What went out after the mark (the last round before a crash or a failure).
    size_t read = 0;
    if (!writer_->ReadBack(
            offsets_,
            [&](const TopicRecord& record) {
              ++read;
              std::string_view store, seq_text;
              for (const auto& [name, value] : record.headers) {
                if (name == kStoreHeader) store = value;
                if (name == kSeqHeader) seq_text = value;
              }
              uint64_t seq = 0;
              if (store != store_id_ || !ParseSeq(seq_text, &seq) || seq <= through_) return;
              present_[seq] = {record.partition, record.offset};
            },
            error)) {
      return false;
    }
    spdlog::info("component=alert_publisher store={} produced_through={} read_back={} already_on_topic={}", store_id_,
                 through_, read, present_.size());
  }
  produced_through_ = through_;
  resumed_ = true;
  return true;
}

bool AlertPublisher::Round(bool* did_work, std::string* error) {
  *did_work = false;
  if (!resumed_ && !Resume(error)) return false;
  // Alerts committed before this point are made durable by the synced mark write below; only
  // they are produced in this round.
  const uint64_t next_seq = store_->Snapshot()->NextAlertSeq();
  if (next_seq <= through_ + 1) {
    // Caught up: keep the mark current while idle.
    if (EncodeMark() != saved_mark_ && !SaveMark(error)) return false;
    return true;
  }
  if (!SaveMark(error)) return false;

  std::vector<AlertView> alerts;
  store_->Snapshot()->ForEachAlert(through_, [&](const AlertView& alert) {
    if (alert.seq >= next_seq) return false;
    alerts.push_back(alert);
    return alerts.size() < options_.batch_alerts;
  });
  // Alerts below next_seq that are not stored any more were erased: they are passed over.
  const uint64_t round_end = alerts.size() < options_.batch_alerts ? next_seq - 1 : alerts.back().seq;

  std::vector<TopicMessage> messages;
  std::vector<size_t> message_of(alerts.size(), SIZE_MAX);
  messages.reserve(alerts.size());
  for (size_t idx = 0; idx < alerts.size(); ++idx) {
    const AlertView& alert = alerts[idx];
    if (present_.count(alert.seq) != 0) continue;
    message_of[idx] = messages.size();
    messages.push_back(
        {KeyOf(alert), format_(alert), {{kSeqHeader, std::to_string(alert.seq)}, {kStoreHeader, store_id_}}});
  }
  std::vector<TopicDelivery> deliveries;
  writer_->Write(messages, &deliveries);

  // Move the mark over the alerts in seq order as far as every one is on the topic.
  size_t failed = 0;
  std::string first_error;
  bool advancing = true;
  for (size_t idx = 0; idx < alerts.size(); ++idx) {
    const AlertView& alert = alerts[idx];
    int32_t partition = -1;
    int64_t offset = -1;
    if (message_of[idx] == SIZE_MAX) {
      std::tie(partition, offset) = present_[alert.seq];
      if (advancing) ++already_present_;
    } else {
      const TopicDelivery& delivery = deliveries[message_of[idx]];
      if (!delivery.ok) {
        if (failed++ == 0) first_error = delivery.error;
        advancing = false;
        continue;
      }
      partition = delivery.partition;
      offset = delivery.offset;
      ++produced_;
    }
    // The offsets cover only what the mark covers: a later alert delivered after a failed one
    // must stay after them, where the next read-back finds it.
    if (!advancing) continue;
    auto& next = offsets_[partition];
    next = std::max(next, offset + 1);
    through_ = alert.seq;
  }
  if (failed > 0) {
    errors_ += failed;
    produced_through_ = through_;
    // Some of the failed ones may be on the topic after all: read it back before retrying.
    resumed_ = false;
    *error = std::to_string(failed) + " of " + std::to_string(messages.size()) +
             " alerts were not delivered: " + first_error;
    return false;
  }
  through_ = std::max(through_, round_end);
  produced_through_ = through_;
  present_.erase(present_.begin(), present_.upper_bound(through_));
  *did_work = true;
  return true;
}

AlertPublisherFigures AlertPublisher::figures() const {
  AlertPublisherFigures figures;
  figures.produced = produced_.load();
  figures.already_present = already_present_.load();
  figures.errors = errors_.load();
  figures.failed_rounds = failed_rounds_.load();
  figures.produced_through = produced_through_.load();
  figures.failing = failing_.load();
  return figures;
}

void AlertPublisher::AppendPrometheus(std::string* out) const {
  const AlertPublisherFigures f = figures();
  AppendCounter("ctrace_alerts_produced_total", "Alerts produced to the Kafka alerts topic and acknowledged.",
                f.produced, out);
  AppendCounter("ctrace_alerts_produce_skipped_total",
                "Alerts found on the alerts topic when resuming, so not produced again.", f.already_present, out);
  AppendCounter("ctrace_alerts_produce_errors_total", "Alert deliveries that failed (each is retried).", f.errors,
                out);
  AppendCounter("ctrace_alerts_produce_failed_rounds_total",
                "Rounds of producing alerts that failed (delivery, reading the topic back, or the mark).",
                f.failed_rounds, out);
  AppendGauge("ctrace_alerts_produced_through_seq", "Every alert up to this seq is on the alerts topic.",
              f.produced_through, out);
  if (feed_ != nullptr) {
    const uint64_t last = feed_->next_seq() - 1;
    AppendGauge("ctrace_alerts_produce_pending", "Alerts committed but not yet on the alerts topic.",
                last > f.produced_through ? last - f.produced_through : 0, out);
  }
  AppendGauge("ctrace_alerts_produce_failing", "1 while producing alerts fails (it is retried), else 0.",
              f.failing ? 1 : 0, out);
}

}  // namespace ctrace
