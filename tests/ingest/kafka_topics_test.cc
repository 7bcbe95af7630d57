// The topic layout of Kafka mode: names, which topic each event type goes to, and the
// partition keys of LogPositions (an on-disk format).
#include "ingest/kafka_topics.h"

#include <set>

#include <gtest/gtest.h>

namespace ctrace {
namespace {

TEST(KafkaTopicsTest, NamesFollowThePrefix) {
  const KafkaTopicNames names = TopicNames("prov");
  EXPECT_EQ(names.checkins, "prov.checkins");
  EXPECT_EQ(names.tests, "prov.tests");
  EXPECT_EQ(names.declarations, "prov.declarations");
  EXPECT_EQ(names.alerts, "prov.alerts");
  EXPECT_EQ(names.deadletter, "prov.deadletter");
  EXPECT_EQ(names.All().size(), 5u);
  EXPECT_EQ(names.EventTopics(), (std::vector<std::string>{"prov.checkins", "prov.tests", "prov.declarations"}));
}

TEST(KafkaTopicsTest, EventTypesGoToTheirTopics) {
  EXPECT_EQ(EventTopicIndex(EventType::kCheckin), 0);
  EXPECT_EQ(EventTopicIndex(EventType::kCheckout), 0);
  EXPECT_EQ(EventTopicIndex(EventType::kTestResult), 1);
  EXPECT_EQ(EventTopicIndex(EventType::kDeclaration), 2);
}

TEST(KafkaTopicsTest, PartitionKeysAreStableAndDistinct) {
  // On-disk format: these exact values are stored with the applied positions.
  EXPECT_EQ(PartitionKey(0, 0), 0);
  EXPECT_EQ(PartitionKey(0, 5), 5);
  EXPECT_EQ(PartitionKey(1, 0), 1024);
  EXPECT_EQ(PartitionKey(2, 1023), 3071);
  std::set<int32_t> keys;
  for (int topic_idx = 0; topic_idx < 3; ++topic_idx) {
    for (int32_t partition = 0; partition < kPartitionsPerTopicIndex; ++partition) {
      EXPECT_TRUE(keys.insert(PartitionKey(topic_idx, partition)).second);
    }
  }
}

TEST(KafkaTopicsTest, RetentionLimitsAreThoseOfTheContract) {
  EXPECT_EQ(kMaxRetentionMs, 30LL * 24 * 3600 * 1000);
  EXPECT_EQ(kMaxSegmentMs, 24LL * 3600 * 1000);
}

}  // namespace
}  // namespace ctrace
