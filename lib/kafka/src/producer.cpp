#include "sfcrimed/producer.hpp"

#include "sfcrimed/connection_refusal.hpp"

#include <stdexcept>
#include <utility>

namespace sfcrimed::kafka {

class Producer::DeliveryReporter : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryReporter(FailureHandler on_failure) : on_failure_(std::move(on_failure)) {}

  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      acked_.fetch_add(1, std::memory_order_release);
      return;
    }
    failed_.fetch_add(1, std::memory_order_release);
    if (on_failure_) {
      const std::string* key = message.key();
      on_failure_(message.topic_name(), key != nullptr ? std::string_view(*key) : std::string_view(), message.errstr());
    }
  }

  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> failed_{0};

 private:
  FailureHandler on_failure_;
};

Producer::Producer(const Settings& settings, FailureHandler on_failure)
    : reporter_(std::make_unique<DeliveryReporter>(std::move(on_failure))) {
  auto conf = make_conf(settings);
  std::string error;
  if (conf->set("dr_cb", reporter_.get(), error) != RdKafka::Conf::CONF_OK) {
    throw std::runtime_error("cannot install the delivery report callback: " + error);
  }
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) {
    throw std::runtime_error("cannot create the Kafka producer: " + error);
  }
}

Producer::~Producer() = default;

void Producer::produce(const std::string& topic, std::int32_t partition, std::string_view key, std::string_view value,
                       const Headers& headers) {
  for (;;) {
    // librdkafka owns the headers once produce() succeeds, and only then.
    RdKafka::Headers* kafka_headers = nullptr;
    if (!headers.empty()) {
      kafka_headers = RdKafka::Headers::create();
      for (const auto& [name, header_value] : headers) {
        kafka_headers->add(name, header_value);
      }
    }
    const RdKafka::ErrorCode err =
        producer_->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                           value.size(), key.data(), key.size(), 0, kafka_headers, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) {
      queued_.fetch_add(1, std::memory_order_release);
      producer_->poll(0);
      return;
    }
    delete kafka_headers;
    if (err == RdKafka::ERR__STATE) {
      // A transactional producer whose transaction has failed takes no more messages
      // until it is aborted.
      throw TransactionError("cannot produce to topic '" + topic + "': " + RdKafka::err2str(err), true);
    }
    if (err != RdKafka::ERR__QUEUE_FULL) {
      throw std::runtime_error("cannot produce to topic '" + topic + "': " + RdKafka::err2str(err));
    }
    // The local queue is full: let deliveries complete, then try again.
    producer_->poll(10);
  }
}

namespace {

// Throws for a failed transaction call (and frees librdkafka's error): TransientError
// when the call may be made again as it is, TransactionError otherwise.
void check_transaction(RdKafka::Error* error, const char* what) {
  if (error == nullptr) {
    return;
  }
  const std::unique_ptr<RdKafka::Error> owned(error);
  const std::string message = std::string(what) + ": " + owned->str() + missing_acl_hint(owned->code());
  if (owned->is_retriable() && !owned->txn_requires_abort() && !owned->is_fatal()) {
    throw TransientError(message);
  }
  throw TransactionError(message, owned->txn_requires_abort(), owned->code());
}

int milliseconds(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

}  // namespace

void Producer::init_transactions(std::chrono::milliseconds timeout) {
  check_transaction(producer_->init_transactions(milliseconds(timeout)), "cannot initialise transactions");
}

void Producer::begin_transaction() { check_transaction(producer_->begin_transaction(), "cannot begin a transaction"); }

void Producer::send_offsets_to_transaction(const std::vector<RdKafka::TopicPartition*>& offsets,
                                           const RdKafka::ConsumerGroupMetadata& group,
                                           std::chrono::milliseconds timeout) {
  check_transaction(producer_->send_offsets_to_transaction(offsets, &group, milliseconds(timeout)),
                    "cannot add the consumer offsets to the transaction");
}

void Producer::commit_transaction(std::chrono::milliseconds timeout) {
  check_transaction(producer_->commit_transaction(milliseconds(timeout)), "cannot commit the transaction");
}

void Producer::abort_transaction(std::chrono::milliseconds timeout) {
  check_transaction(producer_->abort_transaction(milliseconds(timeout)), "cannot abort the transaction");
}

void Producer::poll(std::chrono::milliseconds timeout) { producer_->poll(static_cast<int>(timeout.count())); }

bool Producer::flush(std::chrono::milliseconds timeout) {
  producer_->flush(static_cast<int>(timeout.count()));
  // flush() returns once librdkafka's queue is empty, but delivery reports may still be
  // waiting to be served; count only what was reported.
  producer_->poll(0);
  return counts().in_flight() == 0;
}

DeliveryCounts Producer::counts() const {
  // Reports first: a message is queued before it can be reported, so reading the queued
  // count last keeps in_flight() from going below zero when another thread asks.
  DeliveryCounts counts;
  counts.acked = reporter_->acked_.load(std::memory_order_acquire);
  counts.failed = reporter_->failed_.load(std::memory_order_acquire);
  counts.queued = queued_.load(std::memory_order_acquire);
  return counts;
}

}  // namespace sfcrimed::kafka
