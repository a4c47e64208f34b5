#include "sfcrimed/kafka_admin.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>
#include <thread>

namespace sfcrimed::kafka {

int partition_count(RdKafka::Handle& client, const std::string& topic, std::chrono::milliseconds timeout) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&client, topic, nullptr, error));
  if (!handle) {
    throw std::runtime_error("topic '" + topic + "': " + error);
  }
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err = client.metadata(false, handle.get(), &raw, static_cast<int>(timeout.count()));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("no answer from Kafka within " + std::to_string(timeout.count() / 1000) + " s (" +
                             RdKafka::err2str(err) + "); is a broker running there?");
  }
  for (const auto* found : *metadata->topics()) {
    if (found->topic() == topic && found->err() == RdKafka::ERR_NO_ERROR) {
      return static_cast<int>(found->partitions()->size());
    }
  }
  return 0;
}

bool ensure_topic(RdKafka::Handle& client, const std::string& topic, int partitions, std::chrono::milliseconds timeout,
                  const Settings& topic_configs) {
  if (partition_count(client, topic, timeout) > 0) {
    return false;
  }
  rd_kafka_t* rk = client.c_ptr();
  char error[512] = "";
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof error), &rd_kafka_NewTopic_destroy);
  if (!new_topic) {
    throw std::runtime_error("cannot create topic '" + topic + "': " + error);
  }
  for (const auto& [name, value] : topic_configs) {
    if (rd_kafka_NewTopic_set_config(new_topic.get(), name.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("cannot create topic '" + topic + "' with " + name + "=" + value);
    }
  }
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(rk),
                                                                             &rd_kafka_queue_destroy);
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(rk, topics, 1, nullptr, queue.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())), &rd_kafka_event_destroy);
  if (!event) {
    throw std::runtime_error("creating topic '" + topic + "': no answer from Kafka in time");
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("creating topic '" + topic + "': " + rd_kafka_event_error_string(event.get()));
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return false;  // someone else created it meanwhile
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      throw std::runtime_error("creating topic '" + topic + "': " + (why != nullptr ? why : rd_kafka_err2str(err)));
    }
  }
  // The controller has it; wait until the brokers' metadata shows it too, so that what
  // the caller does next (produce, read its partition count) finds it.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (partition_count(client, topic, timeout) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("created topic '" + topic + "', but the brokers do not show it in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

RdKafka::ErrorCode watermark_offsets(RdKafka::Handle& client, const std::string& topic, std::int32_t partition,
                                     std::chrono::steady_clock::time_point deadline, std::int64_t& low,
                                     std::int64_t& high) {
  using std::chrono::milliseconds;
  for (;;) {
    const auto left = std::max<std::int64_t>(
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now()).count(), 1);
    const RdKafka::ErrorCode err = client.query_watermark_offsets(
        topic, partition, &low, &high, static_cast<int>(std::min<std::int64_t>(left, INT_MAX)));
    const bool leaderless = err == RdKafka::ERR_NOT_LEADER_FOR_PARTITION || err == RdKafka::ERR_LEADER_NOT_AVAILABLE;
    if (!leaderless || std::chrono::steady_clock::now() + milliseconds(100) >= deadline) {
      return err;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
}

}  // namespace sfcrimed::kafka
