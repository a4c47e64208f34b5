#pragma once
// A librdkafka consumer-group member: subscribes, hands out one message at a time, and
// reports errors as values (a fatal one as an exception).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sfcrimed/kafka_settings.hpp"

namespace sfcrimed::kafka {

class Consumer {
 public:
  // `settings` must include bootstrap.servers and group.id; throws SettingError or
  // std::runtime_error.
  explicit Consumer(const Settings& settings);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void subscribe(const std::vector<std::string>& topics);

  // The next message, or nullptr when none came within `timeout`. Transient errors
  // (a broker down for a moment, end of a partition) come back as messages with err()
  // set; a fatal error throws std::runtime_error.
  std::unique_ptr<RdKafka::Message> poll(std::chrono::milliseconds timeout);

  // Commits the offsets of what poll() has returned (synchronously).
  void commit();

  // Leaves the group cleanly (commits when auto-commit is on). Idempotent.
  void close();

  [[nodiscard]] RdKafka::KafkaConsumer& handle() { return *consumer_; }

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  bool closed_ = false;
};

}  // namespace sfcrimed::kafka
