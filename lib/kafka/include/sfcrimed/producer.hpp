#pragma once
// A librdkafka producer that accounts for every message: each one queued is, in the
// end, either acknowledged by the broker or counted as failed with its reason logged.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/kafka_settings.hpp"

namespace sfcrimed::kafka {

struct DeliveryCounts {
  std::uint64_t queued = 0;  // handed to librdkafka
  std::uint64_t acked = 0;   // acknowledged by the broker (per the producer's acks)
  std::uint64_t failed = 0;  // given up on: timed out, refused, ...
  [[nodiscard]] std::uint64_t in_flight() const { return queued - acked - failed; }
};

// A transaction call that failed for good. `abortable`: abort the transaction and start
// again from the last committed state; otherwise the producer cannot go on (fenced by a
// newer instance with the same transactional.id, or a fatal error). A call that may
// simply be made again (timed out, the coordinator moving) throws kafka::TransientError
// instead (kafka_retry.hpp). `code` is librdkafka's for the failure (ERR_NO_ERROR when
// the failure is not a call's).
class TransactionError : public std::runtime_error {
 public:
  TransactionError(const std::string& what, bool abortable, RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR)
      : std::runtime_error(what), abortable_(abortable), code_(code) {}
  [[nodiscard]] bool abortable() const noexcept { return abortable_; }
  [[nodiscard]] RdKafka::ErrorCode code() const noexcept { return code_; }

 private:
  bool abortable_;
  RdKafka::ErrorCode code_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Producer {
 public:
  // Called once per failed delivery, from the thread that calls produce()/poll()/flush().
  using FailureHandler = std::function<void(std::string_view topic, std::string_view key, std::string_view reason)>;

  // `settings` must include bootstrap.servers; throws SettingError or std::runtime_error.
  explicit Producer(const Settings& settings, FailureHandler on_failure = {});
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one message (key and value are copied by librdkafka). While librdkafka's
  // queue is full it serves delivery reports and retries, so nothing is dropped;
  // throws std::runtime_error on any other refusal (unknown topic, message too large).
  void produce(const std::string& topic, std::string_view key, std::string_view value) {
    produce(topic, RdKafka::Topic::PARTITION_UA, key, value, {});
  }
  // The same to a given partition (PARTITION_UA: by the key), with headers.
  void produce(const std::string& topic, std::int32_t partition, std::string_view key, std::string_view value,
               const Headers& headers);

  // Kafka transactions (the settings must include transactional.id). Each throws
  // TransactionError, or TransientError when librdkafka says the same call may be made
  // again (kafka::retry does), with librdkafka's reason.
  void init_transactions(std::chrono::milliseconds timeout);
  void begin_transaction();
  // Commits `offsets` (next offsets to read) for the consumer whose group metadata is given,
  // as part of the transaction.
  void send_offsets_to_transaction(const std::vector<RdKafka::TopicPartition*>& offsets,
                                   const RdKafka::ConsumerGroupMetadata& group, std::chrono::milliseconds timeout);
  void commit_transaction(std::chrono::milliseconds timeout);
  void abort_transaction(std::chrono::milliseconds timeout);

  // Serves delivery reports for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);

  // Waits until nothing is in flight or `timeout` passes; true when nothing is left.
  bool flush(std::chrono::milliseconds timeout);

  [[nodiscard]] DeliveryCounts counts() const;

  // The librdkafka handle, for what this wrapper does not cover (tests use the mock cluster).
  [[nodiscard]] RdKafka::Producer& handle() { return *producer_; }

 private:
  class DeliveryReporter;
  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<std::uint64_t> queued_{0};
};

}  // namespace sfcrimed::kafka
