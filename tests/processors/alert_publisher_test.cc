// The Kafka alert publisher against a real state store and a fake topic: every alert once, in
// seq order per key, with the right key; resuming after a crash, after failed and uncertain
// deliveries, over erased alerts, and for a rebuilt store. The real broker is covered by
// tests/integration/kafka_alerts_test.cc.
#include "processors/alert_publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace ctrace {
namespace {

using test_support::TempDir;

constexpr TimeMs kBase = 1'795'737'600'000;  // 2026-11-27T00:00:00Z

// A topic in memory. Partitions by key. Failures can be planned for the next Write: from the
// `fail_from`-th message on, deliveries fail; with `write_failed_anyway` the failed ones reach
// the topic all the same (a timeout after the broker wrote them), for one partition only, as
// the gapless producer would.
class FakeTopic final : public TopicWriter {
 public:
  explicit FakeTopic(int partitions) : partitions_(static_cast<size_t>(partitions)) {}

  struct Stored {
    std::string key, value;
    TopicHeaders headers;
    std::string Header(const std::string& name) const {
      for (const auto& [n, v] : headers) {
        if (n == name) return v;
      }
      return "";
    }
  };

  void Write(const std::vector<TopicMessage>& messages, std::vector<TopicDelivery>* deliveries) override {
    deliveries->assign(messages.size(), TopicDelivery{});
    ++writes;
    std::set<int32_t> failed_partitions;
    for (size_t idx = 0; idx < messages.size(); ++idx) {
      const TopicMessage& m = messages[idx];
      const int32_t partition = PartitionOf(m.key);
      TopicDelivery& d = (*deliveries)[idx];
      const bool fail = fail_from >= 0 && static_cast<int>(idx) >= fail_from;
      if (fail) {
        d.error = "planned failure";
        // The gapless producer never lets a later message of a partition overtake a failed one.
        const bool write_anyway = write_failed_anyway && failed_partitions.empty();
        failed_partitions.insert(partition);
        if (!write_anyway) continue;
        partitions_[static_cast<size_t>(partition)].push_back({m.key, m.value, m.headers});
        continue;
      }
      if (failed_partitions.count(partition) != 0) {
        d.error = "after a failure in its partition";
        continue;
      }
      auto& log = partitions_[static_cast<size_t>(partition)];
      log.push_back({m.key, m.value, m.headers});
      d.ok = true;
      d.partition = partition;
      d.offset = static_cast<int64_t>(log.size()) - 1;
    }
    fail_from = -1;
    write_failed_anyway = false;
  }

  bool ReadBack(const TopicOffsets& from, const std::function<void(const TopicRecord&)>& fn,
                std::string* error) override {
    ++read_backs;
    if (fail_reads) {
      *error = "planned read failure";
      return false;
    }
    for (size_t p = 0; p < partitions_.size(); ++p) {
      const auto it = from.find(static_cast<int32_t>(p));
      const int64_t end = static_cast<int64_t>(partitions_[p].size());
      int64_t start = it == from.end() ? 0 : it->second;
      if (start < 0 || start > end) start = 0;
      for (int64_t off = start; off < end; ++off) {
        fn({static_cast<int32_t>(p), off, partitions_[p][static_cast<size_t>(off)].headers});
      }
    }
    return true;
  }

  bool EndOffsets(TopicOffsets* ends, std::string*) override {
    ends->clear();
    for (size_t p = 0; p < partitions_.size(); ++p) (*ends)[static_cast<int32_t>(p)] = static_cast<int64_t>(partitions_[p].size());
    return true;
  }

  void Cancel() override {}

  int32_t PartitionOf(const std::string& key) const {
    return static_cast<int32_t>(std::hash<std::string>{}(key) % partitions_.size());
  }

  std::vector<Stored> All() const {
    std::vector<Stored> all;
    for (const auto& p : partitions_) all.insert(all.end(), p.begin(), p.end());
    return all;
  }
  const std::vector<std::vector<Stored>>& partitions() const { return partitions_; }

  int fail_from = -1;
  bool write_failed_anyway = false;
  bool fail_reads = false;
  int writes = 0;
  int read_backs = 0;

 private:
  std::vector<std::vector<Stored>> partitions_;
};

std::string Format(const AlertView& alert) {
  return std::to_string(alert.seq) + " " + std::string(AlertTypeName(alert.type));
}

AlertView MakeAlert(AlertType type, const std::string& who) {
  AlertView alert;
  alert.type = type;
  alert.at = kBase;
  switch (type) {
    case AlertType::kClusterChanged:
    case AlertType::kClusterDissolved:
      alert.id = who;
      alert.cases = {"P1", "P2"};
      break;
    case AlertType::kVenueHotspot:
      alert.venue = who;
      alert.cases = {"P1", "P2", "P3"};
      break;
    default:
      alert.person = who;
      alert.level = 1;
      alert.via = {"P0"};
      break;
  }
  return alert;
}

class AlertPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(dir_); }

  static std::unique_ptr<StateStore> Open(const TempDir& dir) {
    std::string error;
    auto store = StateStore::Open(dir.Sub("state").string(), {}, &error);
    EXPECT_TRUE(store) << error;
    return store;
  }

  // Commits `alerts` in one transaction, as the engine does; returns their seqs.
  std::vector<uint64_t> Commit(StateStore& store, const std::vector<AlertView>& alerts) {
    auto txn = store.Begin();
    std::vector<uint64_t> seqs;
    for (const auto& alert : alerts) seqs.push_back(txn->AppendAlert(alert));
    std::string error;
    EXPECT_TRUE(store.Commit(*txn, {}, &error)) << error;
    return seqs;
  }

  // Some alerts of every type, over a few people, venues and clusters.
  std::vector<AlertView> Mixed(int n) {
    std::vector<AlertView> alerts;
    const AlertType types[] = {AlertType::kCaseNew,          AlertType::kExposureNew,    AlertType::kExposureChanged,
                               AlertType::kExposureRetracted, AlertType::kClusterChanged, AlertType::kClusterDissolved,
                               AlertType::kVenueHotspot};
    for (int i = 0; i < n; ++i) {
      const AlertType type = types[i % 7];
      const std::string who = (type == AlertType::kVenueHotspot                                         ? "V"
                               : type == AlertType::kClusterChanged || type == AlertType::kClusterDissolved ? "C"
                                                                                                            : "P") +
                              std::to_string(i % 5);
      alerts.push_back(MakeAlert(type, who));
    }
    return alerts;
  }

  // Runs rounds until one finds nothing to do.
  static void Drain(AlertPublisher& publisher) {
    for (int round = 0; round < 1000; ++round) {
      bool did_work = false;
      std::string error;
      ASSERT_TRUE(publisher.RunOnce(&did_work, &error)) << error;
      if (!did_work) return;
    }
    FAIL() << "never caught up";
  }

  // The topic holds every seq in [1, last] exactly once, and each key's seqs ascend.
  static void ExpectExactlyOnce(const FakeTopic& topic, uint64_t last, const std::string& store_id = "") {
    std::map<uint64_t, int> count;
    for (const auto& partition : topic.partitions()) {
      std::map<std::string, uint64_t> last_of_key;
      for (const auto& m : partition) {
        if (!store_id.empty() && m.Header("store") != store_id) continue;
        const uint64_t seq = std::stoull(m.Header("seq"));
        ++count[seq];
        EXPECT_EQ(m.value.substr(0, m.value.find(' ')), std::to_string(seq));
        EXPECT_GT(seq, last_of_key[m.key]) << "key " << m.key << " out of order";
        last_of_key[m.key] = seq;
      }
    }
    ASSERT_EQ(count.size(), last);
    for (uint64_t seq = 1; seq <= last; ++seq) EXPECT_EQ(count[seq], 1) << "seq " << seq;
  }

  TempDir dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(AlertPublisherTest, KeysArePersonVenueOrCluster) {
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kCaseNew, "P1")), "P1");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kExposureNew, "P2")), "P2");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kExposureChanged, "P3")), "P3");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kExposureRetracted, "P4")), "P4");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kClusterChanged, "C1")), "C1");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kClusterDissolved, "C2")), "C2");
  EXPECT_EQ(AlertPublisher::KeyOf(MakeAlert(AlertType::kVenueHotspot, "V1")), "V1");
}

TEST_F(AlertPublisherTest, ProducesEveryAlertOnceInOrderWithItsKeyAndJson) {
  FakeTopic topic(3);
  const auto alerts = Mixed(30);
  Commit(*store_, alerts);
  AlertPublisher publisher(store_.get(), nullptr, &topic, Format);
  Drain(publisher);
  ExpectExactlyOnce(topic, 30);
  for (const auto& m : topic.All()) {
    const uint64_t seq = std::stoull(m.Header("seq"));
    EXPECT_EQ(m.key, AlertPublisher::KeyOf(alerts[seq - 1]));
    EXPECT_EQ(m.value, std::to_string(seq) + " " + std::string(AlertTypeName(alerts[seq - 1].type)));
    EXPECT_EQ(m.Header("store").size(), 16u);
  }
  const auto figures = publisher.figures();
  EXPECT_EQ(figures.produced, 30u);
  EXPECT_EQ(figures.produced_through, 30u);
  EXPECT_EQ(figures.errors, 0u);
  EXPECT_FALSE(figures.failing);
  std::string metrics;
  publisher.AppendPrometheus(&metrics);
  EXPECT_NE(metrics.find("ctrace_alerts_produced_total 30\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ctrace_alerts_produce_errors_total 0\n"), std::string::npos) << metrics;

  // More alerts later: only they go.
  Commit(*store_, Mixed(5));
  Drain(publisher);
  ExpectExactlyOnce(topic, 35);
}

TEST_F(AlertPublisherTest, ACrashAfterProducingLosesNothingAndDuplicatesNothing) {
  FakeTopic topic(4);
  Commit(*store_, Mixed(50));
  {
    // Rounds of 7: the mark is written before each round, so a crash right after a round leaves
    // the mark one round behind what is on the topic.
    AlertPublisher publisher(store_.get(), nullptr, &topic, Format, {.batch_alerts = 7});
    for (int round = 0; round < 3; ++round) {
      bool did_work = false;
      std::string error;
      ASSERT_TRUE(publisher.RunOnce(&did_work, &error)) << error;
    }
    // Destroyed without a final mark: a SIGKILL.
  }
  EXPECT_EQ(topic.All().size(), 21u);
  // The whole process restarts: the store is reopened.
  store_.reset();
  store_ = Open(dir_);
  Commit(*store_, Mixed(10));
  AlertPublisher restarted(store_.get(), nullptr, &topic, Format, {.batch_alerts = 7});
  Drain(restarted);
  ExpectExactlyOnce(topic, 60);
  EXPECT_EQ(restarted.figures().already_present, 7u);  // the round after the last mark
  EXPECT_EQ(restarted.figures().produced, 39u);
}

TEST_F(AlertPublisherTest, FailedAndUncertainDeliveriesAreRetriedWithoutGapsOrDuplicates) {
  FakeTopic topic(3);
  Commit(*store_, Mixed(40));
  AlertPublisher publisher(store_.get(), nullptr, &topic, Format, {.batch_alerts = 16});
  bool did_work = false;
  std::string error;
  ASSERT_TRUE(publisher.RunOnce(&did_work, &error)) << error;
  // Deliveries fail from the 5th message of the next round on, but one partition's first
  // failed message reached the topic anyway.
  topic.fail_from = 4;
  topic.write_failed_anyway = true;
  EXPECT_FALSE(publisher.RunOnce(&did_work, &error));
  EXPECT_NE(error.find("planned failure"), std::string::npos) << error;
  EXPECT_GT(publisher.figures().errors, 0u);
  // Reading the topic back fails once too: the round fails and nothing is produced.
  topic.fail_reads = true;
  const int writes = topic.writes;
  EXPECT_FALSE(publisher.RunOnce(&did_work, &error));
  EXPECT_EQ(topic.writes, writes);
  topic.fail_reads = false;
  Drain(publisher);
  ExpectExactlyOnce(topic, 40);
  EXPECT_EQ(publisher.figures().produced_through, 40u);
}

TEST_F(AlertPublisherTest, ErasedAlertsArePassedOver) {
  FakeTopic topic(2);
  Commit(*store_, {MakeAlert(AlertType::kCaseNew, "P1"), MakeAlert(AlertType::kExposureNew, "P9"),
                   MakeAlert(AlertType::kExposureNew, "P3"), MakeAlert(AlertType::kVenueHotspot, "V1")});
  {
    auto txn = store_->Begin();
    EXPECT_EQ(txn->ForgetPerson("P9"), 1u);
    std::string error;
    ASSERT_TRUE(store_->Commit(*txn, {}, &error)) << error;
  }
  AlertPublisher publisher(store_.get(), nullptr, &topic, Format);
  Drain(publisher);
  std::set<uint64_t> seqs;
  for (const auto& m : topic.All()) seqs.insert(std::stoull(m.Header("seq")));
  EXPECT_EQ(seqs, (std::set<uint64_t>{1, 3, 4}));
  EXPECT_EQ(publisher.figures().produced_through, 4u);
}

TEST_F(AlertPublisherTest, ARebuiltStoreProducesItsAlertsAgainUnderANewId) {
  FakeTopic topic(3);
  Commit(*store_, Mixed(12));
  std::string first_id;
  {
    AlertPublisher publisher(store_.get(), nullptr, &topic, Format);
    Drain(publisher);
    first_id = topic.All().front().Header("store");
  }
  // DATA/state deleted and rebuilt: the same seqs again, which must not be taken for the old ones.
  TempDir rebuilt_dir;
  auto rebuilt = Open(rebuilt_dir);
  Commit(*rebuilt, Mixed(12));
  AlertPublisher publisher(rebuilt.get(), nullptr, &topic, Format);
  Drain(publisher);
  EXPECT_EQ(topic.All().size(), 24u);
  ExpectExactlyOnce(topic, 12, first_id);
  std::string second_id;
  for (const auto& m : topic.All()) {
    if (m.Header("store") != first_id) second_id = m.Header("store");
  }
  ASSERT_FALSE(second_id.empty());
  ExpectExactlyOnce(topic, 12, second_id);
}

TEST_F(AlertPublisherTest, FollowsTheFeedOnItsOwnThread) {
  FakeTopic topic(3);
  AlertFeed feed;
  AlertPublisher publisher(store_.get(), &feed, &topic, Format, {.poll_interval = std::chrono::seconds(30)});
  publisher.Start();
  for (int burst = 0; burst < 5; ++burst) {
    Commit(*store_, Mixed(9));
    feed.Publish(store_->Snapshot()->NextAlertSeq());
  }
  // The feed, not the 30 s poll, wakes it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (publisher.figures().produced_through < 45 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // waiting on another thread
  }
  publisher.Stop(std::chrono::seconds(5));
  ExpectExactlyOnce(topic, 45);
  // Stop wrote the final mark: a new publisher finds nothing to do and reads nothing back twice.
  AlertPublisher next(store_.get(), &feed, &topic, Format);
  Drain(next);
  EXPECT_EQ(next.figures().already_present, 0u);
  ExpectExactlyOnce(topic, 45);
}

}  // namespace
}  // namespace ctrace
