#include "detail/pipeline_worker.hpp"

#include <algorithm>
#include <utility>

#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::detail {
namespace {

constexpr std::chrono::milliseconds kPollTimeout = std::chrono::milliseconds(100);
// How long past its own timeout a transactional call may take before its producer is
// given up as stuck.
constexpr std::chrono::seconds kOverrunGrace{5};

}  // namespace

void LocalCounts::clear() {
  consumed = parsed = malformed = duplicate = late = aggregated = 0;
  std::fill(latency_buckets.begin(), latency_buckets.end(), 0);
  latency_sum = 0;
}

Worker::Worker(PipelineShared& shared, int index, const std::stop_token& stop, Health::Part& health)
    : shared_(shared),
      index_(index),
      name_(shared.config.pipeline.group + "." + shared.config.kafka.topic + "." + std::to_string(index)),
      on_stop_(stop, [this] { stop_.request_stop(); }),
      on_failure_(shared.failed.get_token(), [this] { stop_.request_stop(); }),
      retry_(shared.retry_policy(stop_.get_token())),
      health_(health) {
  counts_.latency_buckets.assign(shared.latency_bounds.size() + 1, 0);
}

void Worker::kafka_call(const std::string& what, const std::function<void()>& call, std::chrono::milliseconds timeout) {
  kafka::retry(retry_, what + " (pipeline thread " + std::to_string(index_) + ")", [&] {
    const auto in_call = health_.call(what, Clock::now() + timeout);
    call();
  });
}

void Worker::transaction_call(const std::string& what, const std::function<void(kafka::Producer&)>& call) {
  kafka_call(
      what,
      [&] {
        kafka::call_with_deadline([producer = producer_, call] { call(*producer); },
                                  Clock::now() + kTransactionCallTimeout + kOverrunGrace, what);
      },
      kTransactionCallTimeout);
}

// A producer stuck in a call is left to it; a new one with the same transactional.id
// fences it (its open transaction is aborted by the coordinator) and goes on.
void Worker::replace_producer(const std::string& why) {
  log::warning("pipeline", "thread " + std::to_string(index_) + ": " + why +
                               "; a new producer with the same transactional id takes over (it fences the stuck one, "
                               "whose transaction is aborted) and the thread resumes from its last commit");
  producer_ = std::make_shared<kafka::Producer>(transactional_producer_settings(shared_.config, name_));
  // A retried init_transactions() goes on where the timed-out one stopped.
  transaction_call("initialise transactions",
                   [](kafka::Producer& producer) { producer.init_transactions(kTransactionCallTimeout); });
}

void Worker::connect() {
  producer_ = std::make_shared<kafka::Producer>(transactional_producer_settings(shared_.config, name_));
  try {
    transaction_call("initialise transactions",
                     [](kafka::Producer& producer) { producer.init_transactions(kTransactionCallTimeout); });
  } catch (const kafka::CallOverrun& e) {
    replace_producer(e.what());
  }
  auto conf = kafka::make_conf(group_consumer_settings(shared_.config, name_));
  std::string error;
  conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) {
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  }
  if (const auto err = consumer_->subscribe({shared_.config.kafka.topic}); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot subscribe to '" + shared_.config.kafka.topic + "': " + RdKafka::err2str(err));
  }
  producer_->begin_transaction();
}

void Worker::run() {
  connect();
  auto now = Clock::now();
  try {
    while (!stop_.stop_requested() && !shared_.drained) {
      poll_once(now);
    }
    finish();
  } catch (const kafka::Interrupted& e) {
    // A stop while Kafka could not be reached: what was not committed is read again by
    // the next run, from the last commit.
    log::notice("pipeline", "thread " + std::to_string(index_) + ": " + e.what() +
                                "; what it did since its last commit is done again by the next run");
  }
  flush_counts();
}

void Worker::poll_once(Clock::time_point& now) {
  const std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(kPollTimeout.count())));
  if (callback_error_) {
    std::rethrow_exception(std::exchange(callback_error_, nullptr));
  }
  if (message->err() == RdKafka::ERR__TIMED_OUT) {
    check_drain();  // the targets may have been set while this thread had nothing to read
    // Idle, the producer is polled nowhere else (empty transactions are not committed),
    // and its statistics events, one every statistics.interval.ms, would pile up unserved.
    producer_->poll(std::chrono::milliseconds(0));
  } else {
    try {
      handle(*message);
    } catch (const kafka::TransactionError& e) {
      if (!e.abortable()) {
        throw;
      }
      rewind(e.what());  // a dead letter or stats message refused: the transaction is lost
    }
  }
  // The clock every 64 records is often enough for a commit interval of 10 ms or more.
  if ((++since_clock_check_ & 63U) == 0 || message->err() != RdKafka::ERR_NO_ERROR) {
    now = Clock::now();
    if (std::exchange(handled_since_check_, false)) {
      health_.progressed();
    }
  }
  const auto& config = shared_.config.pipeline;
  if (now - last_commit_ >= config.commit_interval) {
    const bool emit_open = config.emit_interval.count() > 0 && Clock::now() - last_emit_ >= config.emit_interval;
    commit(emit_open ? OpenWindows::changed_only : OpenWindows::none);
    check_drain();
    last_commit_ = now = Clock::now();
  }
}

// Drained: every window's counts out. Stopped: committed state is enough to resume.
void Worker::finish() {
  if (!commit(shared_.drained ? OpenWindows::all : OpenWindows::none) && shared_.drained) {
    throw std::runtime_error("the drain's last transaction was aborted; its work is undone, run again to finish");
  }
  consumer_->close();  // revokes (and commits) whatever is left
  if (callback_error_) {
    std::rethrow_exception(callback_error_);
  }
}

void Worker::handle(const RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR__PARTITION_EOF) {
    // At the end: offsets past the last record (transaction markers, records removed by
    // retention) are read too; the position moves there (committed with the next
    // transaction), or its lag would never come down to 0.
    if (const auto found = owned_.find(message.partition()); found != owned_.end()) {
      if (message.offset() > found->second.next_offset()) {
        found->second.set_next_offset(message.offset());
        changed_.insert(message.partition());
      }
      shared_.drain_progress(message.partition(), found->second.next_offset());
    }
    return;
  }
  if (message.err() != RdKafka::ERR_NO_ERROR) {
    if (message.err() == RdKafka::ERR__FATAL) {
      throw std::runtime_error("fatal Kafka consumer error: " + message.errstr());
    }
    log::warning("pipeline", "consumer: " + message.errstr() + " (librdkafka retries)");
    return;
  }
  const auto found = owned_.find(message.partition());
  if (found == owned_.end() || message.offset() < found->second.next_offset()) {
    return;  // not ours (any more), or already applied before a rewind
  }
  PartitionWindows& state = found->second;
  if (counts_.consumed == 0 && shared_.consumed == 0) {
    const std::lock_guard lock(shared_.clock_mutex);
    if (!shared_.first_record) {
      shared_.first_record = Clock::now();
    }
  }
  ++counts_.consumed;
  handled_since_check_ = true;
  const std::string_view bytes(static_cast<const char*>(message.payload()), message.len());
  if (!parser_.parse(bytes, call_, reason_)) {
    dead_letter(message, bytes);
  } else {
    ++counts_.parsed;
    const WallSeconds closed_before = state.closed_through();
    switch (state.apply(call_)) {
      case Applied::counted:
        ++counts_.aggregated;
        break;
      case Applied::duplicate:
        ++counts_.duplicate;
        break;
      case Applied::late:
        ++counts_.late;
        break;
    }
    if (state.closed_through() != closed_before) {
      // Out now, inside the open transaction, rather than all at the commit.
      closed_since_.emplace(message.partition(), Clock::now());
      emit(message.partition(), state, OpenWindows::none);
    }
  }
  measure_latency(message);
  state.set_next_offset(message.offset() + 1);
  changed_.insert(message.partition());
  ++records_in_transaction_;
  shared_.drain_progress(message.partition(), state.next_offset());
}

void Worker::dead_letter(const RdKafka::Message& message, std::string_view bytes) {
  ++counts_.malformed;
  const std::string* key = message.key();
  producer_->produce(shared_.dlq, RdKafka::Topic::PARTITION_UA, key != nullptr ? *key : std::string_view(), bytes,
                     {{"sfcrimed.reason", reason_},
                      {"sfcrimed.source.topic", message.topic_name()},
                      {"sfcrimed.source.partition", std::to_string(message.partition())},
                      {"sfcrimed.source.offset", std::to_string(message.offset())}});
}

void Worker::measure_latency(const RdKafka::Message& message) {
  const RdKafka::MessageTimestamp timestamp = message.timestamp();
  if (timestamp.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
    return;
  }
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double seconds = std::max(0.0, now - static_cast<double>(timestamp.timestamp) / 1000);
  const auto bucket = std::lower_bound(shared_.latency_bounds.begin(), shared_.latency_bounds.end(), seconds) -
                      shared_.latency_bounds.begin();
  counts_.latency_buckets[static_cast<std::size_t>(bucket)] += 1;
  counts_.latency_sum += seconds;
}

void Worker::check_drain() {
  for (const auto& [partition, state] : owned_) {
    shared_.drain_progress(partition, state.next_offset());
  }
}

bool Worker::cooperative() const { return consumer_->rebalance_protocol() == "COOPERATIVE"; }

}  // namespace sfcrimed::detail
