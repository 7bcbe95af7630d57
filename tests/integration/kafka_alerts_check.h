// What the tests of the Kafka alerts topic share (kafka_alerts_test.cc,
// kafka_broker_restart_test.cc): a librdkafka reader of a whole topic, the wait until a Kafka-mode
// service produced every alert it stored, and the check that PREFIX.alerts holds exactly the
// alerts of GET /v1/alerts. Header-only; the including test links librdkafka.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/kafka_support.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/ws_client.h"

namespace ctrace::test_support {
namespace kafka_alerts {

using nlohmann::json;

struct Consumed {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::map<std::string, std::string> headers;
  std::string value;
};

// Every message of `topic`, partition by partition in offset order, with librdkafka.
inline Status ReadTopic(const std::string& topic, std::vector<Consumed>* out) {
  out->clear();
  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", KafkaBrokers()},
           {"group.id", topic + ".test-reader"},
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "true"},
           {"auto.offset.reset", "earliest"}}) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::Error(reason);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof(reason));
  if (rk == nullptr) return Status::Error(reason);
  rd_kafka_poll_set_consumer(rk);
  Status status = Status::Ok();
  std::map<int32_t, int64_t> ends;
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, rkt, &metadata, 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1) {
    status = Status::Error("no metadata for " + topic);
  } else {
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = Status::Error("no watermarks for " + topic);
      }
      if (high > low) ends[p] = high;
    }
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(rkt);
  if (status.ok() && !ends.empty()) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(ends.size()));
    for (const auto& [p, end] : ends) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 500);
      if (message == nullptr) continue;
      const auto it = ends.find(message->partition);
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && it != ends.end() && message->offset < it->second) {
        Consumed c;
        c.partition = message->partition;
        c.offset = message->offset;
        if (message->key != nullptr) c.key.assign(static_cast<const char*>(message->key), message->key_len);
        if (message->payload != nullptr) c.value.assign(static_cast<const char*>(message->payload), message->len);
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name = nullptr;
          const void* value = nullptr;
          size_t size = 0;
          for (size_t idx = 0; rd_kafka_header_get_all(headers, idx, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
               ++idx) {
            c.headers[name] = std::string(static_cast<const char*>(value), size);
          }
        }
        out->push_back(std::move(c));
      }
      if (it != ends.end() && message->offset + (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ? 0 : 1) >= it->second) {
        ends.erase(it);
      }
      rd_kafka_message_destroy(message);
    }
    if (!ends.empty()) status = Status::Error("reading " + topic + " did not reach the end in time");
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return status;
}

// Every alert after 0 through GET /v1/alerts.
inline Status AllAlerts(HttpClient& client, json* alerts) {
  *alerts = json::array();
  uint64_t since = 0;
  for (int page = 0; page < 100000; ++page) {
    json answer;
    if (Status s = GetJson(client, "/v1/alerts?since=" + std::to_string(since) + "&limit=500", &answer); !s.ok()) return s;
    if (answer["alerts"].empty()) return Status::Ok();
    for (const json& alert : answer["alerts"]) alerts->push_back(alert);
    since = answer["next_seq"].get<uint64_t>();
  }
  return Status::Error("paging did not end");
}

// A figure of GET /metrics (a line "NAME VALUE"); -1 when absent.
inline long long Metric(HttpClient& client, const std::string& name) {
  const HttpResponse response = client.Get("/metrics");
  std::istringstream in(response.body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
  }
  return -1;
}

// Waits until the service holds `applied_events` events (-1: do not wait for that) with no lag,
// and has produced every alert it stored; *last_seq is then the last alert's seq.
inline Status WaitProduced(ServeProcess& serve, long long applied_events, uint64_t* last_seq) {
  json stats;
  if (Status s = WaitForStats(
          serve.client(),
          [&](const json& st) {
            return st.value("lag", 1LL) == 0 && (applied_events < 0 || AppliedEvents(st) == applied_events);
          },
          std::chrono::minutes(4), &stats);
      !s.ok()) {
    return Status::Error(s.message() + "\n" + serve.LogTail());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (true) {
    const long long through = Metric(serve.client(), "ctrace_alerts_produced_through_seq");
    if (through >= 0) {
      // Nothing stored after it.
      json rest;
      if (Status s = GetJson(serve.client(), "/v1/alerts?since=" + std::to_string(through) + "&limit=1", &rest); !s.ok()) {
        return s;
      }
      if (rest["alerts"].empty()) {
        *last_seq = static_cast<uint64_t>(through);
        return Status::Ok();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Error("alerts not produced in time: through=" + std::to_string(through) + "\n" + serve.LogTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a real process
  }
}

inline std::string ExpectedKey(const json& alert) {
  const std::string type = alert.at("type").get<std::string>();
  if (type == "venue.hotspot") return alert.at("venue").get<std::string>();
  if (type == "cluster.changed" || type == "cluster.dissolved") return alert.at("id").get<std::string>();
  return alert.at("person").get<std::string>();
}

// The topic equals GET /v1/alerts from 0 and the WebSocket frames from 0: every alert exactly
// once, the same JSON, its key, in seq order within each partition; one store id throughout.
inline void ExpectTopicEqualsAlerts(ServeProcess& serve, const std::string& prefix) {
  json alerts;
  const Status read = AllAlerts(serve.client(), &alerts);
  ASSERT_TRUE(read.ok()) << read.message();
  std::vector<Consumed> messages;
  const Status consumed = ReadTopic(prefix + ".alerts", &messages);
  ASSERT_TRUE(consumed.ok()) << consumed.message();

  // The WebSocket frames of the same alerts: the bytes the topic must hold.
  std::map<uint64_t, std::string> frames;
  WsClient ws;
  const Status connected = ws.Connect("127.0.0.1", serve.port(), "/v1/alerts/stream?since=0");
  ASSERT_TRUE(connected.ok()) << connected.message();
  while (frames.size() < alerts.size()) {
    std::string text;
    const Status s = ws.Read(&text, std::chrono::seconds(60));
    ASSERT_TRUE(s.ok()) << s.message();
    frames[json::parse(text).at("seq").get<uint64_t>()] = text;
  }
  (void)ws.Close();

  std::map<uint64_t, const Consumed*> by_seq;
  std::map<int32_t, uint64_t> last_in_partition;
  std::map<std::string, uint64_t> last_of_key;
  std::set<std::string> stores;
  for (const Consumed& m : messages) {
    const json value = json::parse(m.value, nullptr, false);
    ASSERT_TRUE(value.is_object()) << m.value;
    const uint64_t seq = value.at("seq").get<uint64_t>();
    EXPECT_EQ(m.headers.at("seq"), std::to_string(seq));
    stores.insert(m.headers.at("store"));
    EXPECT_TRUE(by_seq.emplace(seq, &m).second) << "seq " << seq << " on the topic twice";
    EXPECT_GT(seq, last_in_partition[m.partition]) << "partition " << m.partition << " out of seq order";
    last_in_partition[m.partition] = seq;
    EXPECT_GT(seq, last_of_key[m.key]) << "key " << m.key << " out of seq order";
    last_of_key[m.key] = seq;
  }
  EXPECT_EQ(stores.size(), alerts.empty() ? 0u : 1u);
  EXPECT_EQ(by_seq.size(), alerts.size());
  std::map<std::string, int> types;
  for (const json& alert : alerts) {
    const uint64_t seq = alert.at("seq").get<uint64_t>();
    const auto it = by_seq.find(seq);
    if (it == by_seq.end()) {
      ADD_FAILURE() << "alert " << seq << " is missing from the topic";
      continue;
    }
    EXPECT_EQ(json::parse(it->second->value), alert);
    EXPECT_EQ(it->second->value, frames[seq]) << "seq " << seq;
    EXPECT_EQ(it->second->key, ExpectedKey(alert)) << alert.dump();
    ++types[alert.at("type").get<std::string>()];
  }
  for (const auto& [type, n] : types) std::printf("%s: %d\n", type.c_str(), n);
}

}  // namespace kafka_alerts
}  // namespace ctrace::test_support
