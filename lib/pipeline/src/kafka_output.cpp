// A pipeline thread's transactional producer: its stats messages, dead letters, state
// snapshots and the group's offsets commit together, so that a crash at any moment loses
// and doubles nothing. A call a failover times out is made again; one that hangs past its
// deadline, or a commit still failing after kCommitStuckAfter, has its producer replaced
// by a new one with the same transactional id, which fences the stuck one; so has one
// that failed for good (librdkafka's fatal errors other than fencing), once per commit.
#include <utility>

#include "sfcrimed/duration.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/kafka_io.hpp"

namespace sfcrimed::detail {
namespace {

// How long past its own timeout a transactional call may take before its producer is
// given up as stuck.
constexpr std::chrono::seconds kOverrunGrace{5};
// How long a commit is made again (after timeouts) before its producer is given up as
// stuck: failover_coordinators saw a commit after the group coordinator's SIGKILL time out
// every 10 s for two minutes (librdkafka 2.14.2), where a new producer goes on.
constexpr std::chrono::seconds kCommitStuckAfter{30};

}  // namespace

KafkaCalls::KafkaCalls(kafka::RetryPolicy retry, Health::Part& health, std::string who)
    : retry_(std::move(retry)), health_(health), who_(std::move(who)) {}

void KafkaCalls::call(const std::string& what, const std::function<void()>& call, std::chrono::milliseconds timeout) {
  kafka::retry(retry_, what + " (pipeline " + who_ + ")", [&] {
    const auto in_call = health_.call(what, std::chrono::steady_clock::now() + timeout);
    call();
  });
}

KafkaOutput::KafkaOutput(std::function<kafka::Settings()> settings, KafkaSource& source, KafkaCalls& calls,
                         std::string calls_topic, std::string dlq, std::string stats, std::string state)
    : settings_(std::move(settings)),
      source_(source),
      calls_(calls),
      calls_topic_(std::move(calls_topic)),
      dlq_(std::move(dlq)),
      stats_(std::move(stats)),
      state_(std::move(state)),
      producer_(std::make_shared<kafka::Producer>(settings_())) {
  try {
    init_transactions();
  } catch (const kafka::CallOverrun& e) {
    replace_producer(e.what());
  }
  producer_->begin_transaction();
  replaced_ = false;
}

void KafkaOutput::dead_letter(const Record& record, std::string_view reason) {
  producer_->produce(dlq_, RdKafka::Topic::PARTITION_UA, record.key, record.value,
                     {{std::string(kReasonHeader), std::string(reason)},
                      {"sfcrimed.source.topic", calls_topic_},
                      {"sfcrimed.source.partition", std::to_string(record.partition)},
                      {"sfcrimed.source.offset", std::to_string(record.offset)}});
}

void KafkaOutput::stats(std::int32_t partition, std::string_view key, std::string_view value) {
  producer_->produce(stats_, partition, key, value, {});
}

void KafkaOutput::snapshot(std::int32_t partition, std::string_view value) {
  producer_->produce(state_, partition, std::to_string(partition), value, {});
}

void KafkaOutput::commit(const std::map<std::int32_t, std::int64_t>& offsets) {
  // Owned by the call (a call that overruns its deadline may use them after this returns).
  const std::shared_ptr<RdKafka::ConsumerGroupMetadata> group = source_.group_metadata();
  const std::shared_ptr<std::vector<RdKafka::TopicPartition*>> owned_offsets(
      new std::vector<RdKafka::TopicPartition*>(topic_partitions(calls_topic_, offsets)), [](auto* list) {
        RdKafka::TopicPartition::destroy(*list);
        delete list;
      });
  try {
    // The group's metadata goes with the offsets: a thread whose partitions the group has
    // given to another member since cannot commit them (KIP-447's fencing of zombies).
    transaction_call("add the consumer offsets to the transaction", [group, owned_offsets](kafka::Producer& producer) {
      producer.send_offsets_to_transaction(*owned_offsets, *group, kTransactionCallTimeout);
    });
    // A commit retried after a timeout finishes the same transaction (librdkafka resumes it).
    transaction_call(
        "commit the transaction",
        [](kafka::Producer& producer) { producer.commit_transaction(kTransactionCallTimeout); }, kCommitStuckAfter);
  } catch (const kafka::CallOverrun& e) {
    replace_producer(e.what());
    throw kafka::TransactionError(e.what(), true);
  } catch (const kafka::TransactionError& e) {
    // The group refused the offsets: another consumer took this one's static member id (a
    // second process with the same pipeline.instance). The transaction is abortable, but
    // every one after it would be refused the same way, for ever: this output is done.
    if (e.code() == RdKafka::ERR_FENCED_INSTANCE_ID) {
      member_fenced_ = true;
      throw kafka::TransactionError(e.what(), false, e.code());
    }
    if (!e.abortable() && replace_failed_producer()) {
      throw kafka::TransactionError(e.what(), true, e.code());
    }
    throw;
  }
  recovered_ = false;
  producer_->begin_transaction();
}

// A new producer has fenced the old one's transaction already: nothing to abort. A
// producer that failed for good (a produce() refused with librdkafka's fatal error) is
// replaced rather than asked to abort; one that may not be is asked, and its fatal error
// ends the thread.
void KafkaOutput::abort() {
  if (!replaced_) {
    (void)replace_failed_producer();
  }
  if (!std::exchange(replaced_, false)) {
    try {
      transaction_call("abort the transaction",
                       [](kafka::Producer& producer) { producer.abort_transaction(kTransactionCallTimeout); });
    } catch (const kafka::CallOverrun& e) {
      replace_producer(e.what());
      replaced_ = false;
    }
  }
  producer_->begin_transaction();
}

bool KafkaOutput::fenced() const {
  std::string reason;
  return member_fenced_ || producer_->handle().fatal_error(reason) == RdKafka::ERR__FENCED;
}

// Idle, the producer is polled nowhere else (empty transactions are not committed), and
// its statistics events, one every statistics.interval.ms, would pile up unserved.
void KafkaOutput::idle() { producer_->poll(std::chrono::milliseconds(0)); }

void KafkaOutput::transaction_call(const std::string& what, const std::function<void(kafka::Producer&)>& call,
                                   std::chrono::milliseconds stuck_after) {
  const auto first = std::chrono::steady_clock::now();
  calls_.call(
      what,
      [&] {
        if (stuck_after.count() > 0 && std::chrono::steady_clock::now() - first >= stuck_after) {
          throw kafka::CallOverrun(what + ": still failing after " + format_duration(stuck_after));
        }
        kafka::call_with_deadline([producer = producer_, call] { call(*producer); },
                                  std::chrono::steady_clock::now() + kTransactionCallTimeout + kOverrunGrace, what);
      },
      kTransactionCallTimeout);
}

// A retried init_transactions() goes on where the timed-out one stopped.
void KafkaOutput::init_transactions() {
  transaction_call("initialise transactions",
                   [](kafka::Producer& producer) { producer.init_transactions(kTransactionCallTimeout); });
}

// A producer that failed for good, other than by fencing (librdkafka's fatal errors: an
// out-of-order sequence after a broker's loss, say), is replaced as a stuck one is: its
// transaction is aborted by the new producer's initialisation, and the thread resumes
// from its last commit. Once per commit at most: false when the producer that failed was
// itself a replacement made since the last commit (the failure is not a passing one), or
// when it was fenced (another process runs as this instance).
bool KafkaOutput::replace_failed_producer() {
  std::string reason;
  const RdKafka::ErrorCode fatal = producer_->handle().fatal_error(reason);
  if (fatal == RdKafka::ERR_NO_ERROR || fatal == RdKafka::ERR__FENCED || recovered_) {
    return false;
  }
  replace_producer("the producer failed for good: " + reason);
  recovered_ = true;
  return true;
}

// A producer stuck in a call is left to it; a new one with the same transactional.id
// fences it (its open transaction is aborted by the coordinator) and goes on.
void KafkaOutput::replace_producer(const std::string& why) {
  log::warning("pipeline", calls_.who() + ": " + why +
                               "; a new producer with the same transactional id takes over (it fences the old one, "
                               "whose transaction is aborted) and the thread resumes from its last commit");
  producer_ = std::make_shared<kafka::Producer>(settings_());
  init_transactions();
  replaced_ = true;
}

}  // namespace sfcrimed::detail
