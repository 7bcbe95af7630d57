// One outgoing topic of keyed messages, for what ctrace produces besides events: the alerts of
// Kafka mode (processors/alert_publisher.h). The publisher only sees this interface; the Kafka
// implementation is KafkaTopicWriter (kafka_producer.h), tests use a fake.
//
// Order: messages with the same key go to the same partition and keep the order in which they
// were given to Write. A message that failed may be written again later; the writer never
// writes one twice by itself (idempotent producer).
//
// Thread-safety: Write, ReadBack and EndOffsets from one thread at a time; Cancel from any
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ctrace {

using TopicHeaders = std::vector<std::pair<std::string, std::string>>;

struct TopicMessage {
  std::string key;
  std::string value;
  TopicHeaders headers;
};

// What happened to one message of a Write.
struct TopicDelivery {
  bool ok = false;
  int32_t partition = -1;  // set when ok
  int64_t offset = -1;     // set when ok
  std::string error;       // set when not ok
};

// A message read back: where it is and its headers (its value is not read).
struct TopicRecord {
  int32_t partition = -1;
  int64_t offset = -1;
  TopicHeaders headers;
};

// Per partition: an offset (the next one to read or write).
using TopicOffsets = std::map<int32_t, int64_t>;

class TopicWriter {
 public:
  virtual ~TopicWriter() = default;

  // Sends `messages` in order and waits until each has its delivery report (ok, or failed
  // after the writer's own retries ran out, or cancelled). *deliveries gets one entry per
  // message.
  virtual void Write(const std::vector<TopicMessage>& messages, std::vector<TopicDelivery>* deliveries) = 0;

  // Reads every message of the topic from `from` up to the end each partition has when the call
  // starts, in offset order per partition. A partition absent from `from`, or whose offset lies
  // outside what the topic holds, is read from its oldest message. Returns false and sets
  // *error when the topic cannot be read completely.
  virtual bool ReadBack(const TopicOffsets& from, const std::function<void(const TopicRecord&)>& fn,
                        std::string* error) = 0;

  // The next offset to be written in every partition. Returns false and sets *error when the
  // cluster does not answer.
  virtual bool EndOffsets(TopicOffsets* ends, std::string* error) = 0;

  // Makes a Write in progress (and the next one) give up at once on what is not delivered yet:
  // those messages are reported as failed, though some may still reach the topic. For
  // shutdown.
  virtual void Cancel() = 0;
};

}  // namespace ctrace
