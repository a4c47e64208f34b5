// A pipeline thread's consumer: a member of the group, whose rebalances (eager with the
// classic protocol, incremental with KIP-848's or a cooperative assignor) go to the
// thread's listener, and whose records it hands over one at a time.
#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <utility>

#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/kafka_io.hpp"

namespace sfcrimed::detail {
namespace {

constexpr int kSeekTimeoutMs = 10'000;  // the fetcher's acknowledgement: nothing older is handed over
constexpr std::chrono::seconds kCommittedTimeout{10};
static_assert(kFromBeginning == RD_KAFKA_OFFSET_BEGINNING);

}  // namespace

std::vector<RdKafka::TopicPartition*> topic_partitions(const std::string& topic,
                                                       const std::map<std::int32_t, std::int64_t>& offsets) {
  std::vector<RdKafka::TopicPartition*> list;
  list.reserve(offsets.size());
  for (const auto& [partition, offset] : offsets) {
    list.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }
  return list;
}

KafkaSource::KafkaSource(const kafka::Settings& settings, std::string topic) : topic_(std::move(topic)) {
  auto conf = kafka::make_conf(settings);
  std::string error;
  conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) {
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  }
  if (const auto err = consumer_->subscribe({topic_}); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot subscribe to '" + topic_ + "': " + RdKafka::err2str(err));
  }
}

KafkaSource::~KafkaSource() = default;

Source::Polled KafkaSource::poll(std::chrono::milliseconds timeout, RebalanceListener& listener) {
  listener_ = &listener;
  message_.reset(consumer_->consume(static_cast<int>(timeout.count())));
  listener_ = nullptr;
  rethrow_listener_error();
  const RdKafka::Message& message = *message_;
  Polled polled;
  polled.record.partition = message.partition();
  polled.record.offset = message.offset();
  switch (message.err()) {
    case RdKafka::ERR_NO_ERROR: {
      polled.kind = Polled::Kind::record;
      const std::string* key = message.key();
      polled.record.key = key != nullptr ? std::string_view(*key) : std::string_view();
      polled.record.value = std::string_view(static_cast<const char*>(message.payload()), message.len());
      const RdKafka::MessageTimestamp timestamp = message.timestamp();
      if (timestamp.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
        polled.record.timestamp_ms = timestamp.timestamp;
      }
      break;
    }
    case RdKafka::ERR__PARTITION_EOF:
      polled.kind = Polled::Kind::end_of_partition;
      break;
    case RdKafka::ERR__TIMED_OUT:
      break;
    case RdKafka::ERR__FATAL:
      throw std::runtime_error("fatal Kafka consumer error: " + message.errstr());
    default:
      log::warning("pipeline", "consumer: " + message.errstr() + " (librdkafka retries)");
  }
  return polled;
}

void KafkaSource::seek(std::int32_t partition, std::int64_t offset) {
  const std::unique_ptr<RdKafka::TopicPartition> position(RdKafka::TopicPartition::create(topic_, partition, offset));
  if (const auto err = consumer_->seek(*position, kSeekTimeoutMs); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot rewind partition " + std::to_string(partition) + " to offset " +
                             std::to_string(offset) + ": " + RdKafka::err2str(err));
  }
}

void KafkaSource::close(RebalanceListener& listener) {
  listener_ = &listener;
  consumer_->close();  // revokes (and so commits) whatever is left
  listener_ = nullptr;
  rethrow_listener_error();
}

std::map<std::int32_t, std::int64_t> KafkaSource::committed(const std::vector<std::int32_t>& partitions) {
  return kafka::committed_offsets(*consumer_, topic_, partitions, kCommittedTimeout);
}

bool KafkaSource::incremental() const { return consumer_->rebalance_protocol() == "COOPERATIVE"; }

std::shared_ptr<RdKafka::ConsumerGroupMetadata> KafkaSource::group_metadata() {
  return std::shared_ptr<RdKafka::ConsumerGroupMetadata>(consumer_->groupMetadata());
}

void KafkaSource::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                               std::vector<RdKafka::TopicPartition*>& partitions) {
  // Exceptions must not cross librdkafka's C frames: kept for after consume().
  try {
    std::vector<std::int32_t> numbers;
    numbers.reserve(partitions.size());
    for (const auto* partition : partitions) {
      numbers.push_back(partition->partition());
    }
    if (listener_ == nullptr) {
      throw std::logic_error("a rebalance outside poll() and close()");
    }
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      assign(listener_->assigned(numbers));
    } else {
      listener_->revoked(numbers, consumer->assignment_lost());
      unassign(numbers);
    }
  } catch (...) {
    listener_error_ = std::current_exception();
  }
}

void KafkaSource::assign(const std::map<std::int32_t, std::int64_t>& starts) {
  std::vector<RdKafka::TopicPartition*> assignment = topic_partitions(topic_, starts);
  RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
  if (incremental()) {
    if (const std::unique_ptr<RdKafka::Error> error(consumer_->incremental_assign(assignment)); error) {
      err = error->code();
    }
  } else {
    err = consumer_->assign(assignment);  // the whole assignment
  }
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    std::string where;
    for (const auto& [partition, offset] : starts) {
      where += (where.empty() ? "p" : ", p") + std::to_string(partition) + "@" + std::to_string(offset);
    }
    throw std::runtime_error("cannot assign " + where + ": " + RdKafka::err2str(err));
  }
}

void KafkaSource::unassign(const std::vector<std::int32_t>& partitions) {
  if (!incremental()) {
    consumer_->unassign();
    return;
  }
  std::map<std::int32_t, std::int64_t> revoked;
  for (const auto partition : partitions) {
    revoked.emplace(partition, RdKafka::Topic::OFFSET_INVALID);
  }
  std::vector<RdKafka::TopicPartition*> list = topic_partitions(topic_, revoked);
  const std::unique_ptr<RdKafka::Error> error(consumer_->incremental_unassign(list));
  RdKafka::TopicPartition::destroy(list);
}

bool KafkaSource::fenced() const {
  std::string reason;
  const RdKafka::ErrorCode fatal = consumer_->fatal_error(reason);
  return fatal == RdKafka::ERR_FENCED_INSTANCE_ID || fatal == RdKafka::ERR_UNRELEASED_INSTANCE_ID;
}

void KafkaSource::rethrow_listener_error() {
  if (listener_error_) {
    std::rethrow_exception(std::exchange(listener_error_, nullptr));
  }
}

}  // namespace sfcrimed::detail
