#pragma once
// The librdkafka side of a pipeline thread's I/O (io.hpp): its consumer, a member of the
// group (KafkaSource); its transactional producer (KafkaOutput); the state topic it
// restores partitions from (KafkaStateStore). Each belongs to one thread.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sfcrimed/health.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/pipeline/io.hpp"
#include "sfcrimed/pipeline/merge_thread.hpp"
#include "sfcrimed/producer.hpp"

namespace sfcrimed::detail {

// How long one Kafka call of the pipeline may take before it counts as failed (and, if
// transient, is tried again): the topics' set-up and a read of the state topic, whose
// snapshots can be large.
inline constexpr std::chrono::milliseconds kKafkaCallTimeout = std::chrono::seconds(30);
// The same for a call of a transactional producer: about a coordinator's move (a broker's
// session with the controller is 9 s); a call that times out is made again.
inline constexpr std::chrono::milliseconds kTransactionCallTimeout = std::chrono::seconds(10);

// librdkafka's list of `topic`'s partitions at `offsets`; the caller destroys its elements.
std::vector<RdKafka::TopicPartition*> topic_partitions(const std::string& topic,
                                                       const std::map<std::int32_t, std::int64_t>& offsets);

// One thread's calls to Kafka: each under its health part's eye (a call past its
// deadline shows as stuck), and made again while its failure is transient, for as long
// as `retry` allows (kafka.unavailable_timeout).
class KafkaCalls {
 public:
  KafkaCalls(kafka::RetryPolicy retry, Health::Part& health, std::string who);

  // Runs `call` (which may throw kafka::TransientError) until it succeeds or gives up.
  void call(const std::string& what, const std::function<void()>& call,
            std::chrono::milliseconds timeout = kKafkaCallTimeout);
  [[nodiscard]] Health::Part& health() { return health_; }
  [[nodiscard]] const std::string& who() const { return who_; }

 private:
  kafka::RetryPolicy retry_;
  Health::Part& health_;
  const std::string who_;  // "thread 0", for the messages
};

class KafkaSource final : public Source, private RdKafka::RebalanceCb {
 public:
  // Joins the group with `settings` (a group consumer's) and subscribes to `topic`.
  KafkaSource(const kafka::Settings& settings, std::string topic);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  Polled poll(std::chrono::milliseconds timeout, RebalanceListener& listener) override;
  void seek(std::int32_t partition, std::int64_t offset) override;
  void close(RebalanceListener& listener) override;
  [[nodiscard]] bool incremental() const override;
  std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) override;

  // The group's generation and member id, for the offsets a transaction commits (KIP-447).
  [[nodiscard]] std::shared_ptr<RdKafka::ConsumerGroupMetadata> group_metadata();
  // The consumer's fatal error says another member took (or holds) its static member id.
  [[nodiscard]] bool fenced() const;

 private:
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  void assign(const std::map<std::int32_t, std::int64_t>& starts);
  void unassign(const std::vector<std::int32_t>& partitions);
  void rethrow_listener_error();

  const std::string topic_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Message> message_;  // the record last polled, viewed by Record
  RebalanceListener* listener_ = nullptr;      // during poll() and close()
  std::exception_ptr listener_error_;          // must not cross librdkafka's C frames
};

class KafkaOutput final : public TransactionalOutput {
 public:
  // A transactional producer with `settings` (transactional.id included), its
  // transactions initialised and the first one open; `source` gives the group's metadata.
  // `calls_topic`: the source topic, named in the dead letters' headers.
  KafkaOutput(std::function<kafka::Settings()> settings, KafkaSource& source, KafkaCalls& calls,
              std::string calls_topic, std::string dlq, std::string stats, std::string state);

  void dead_letter(const Record& record, std::string_view reason) override;
  void stats(std::int32_t partition, std::string_view key, std::string_view value) override;
  void snapshot(std::int32_t partition, std::string_view value) override;
  void commit(const std::map<std::int32_t, std::int64_t>& offsets) override;
  void abort() override;
  void idle() override;
  // Another producer with this one's transactional id fenced it (librdkafka's _FENCED), or
  // the group refused a commit's offsets because another consumer has this one's static
  // member id (FENCED_INSTANCE_ID): either way another process runs as this instance.
  [[nodiscard]] bool fenced() const;

 private:
  // A call of the producer on a thread of its own: one that outlives its timeout by a
  // grace period throws kafka::CallOverrun, and the producer must be replaced.
  // `call` made through calls_ (again while it fails for a passing reason); once it has
  // been at it for `stuck_after` (zero: no limit), it counts as stuck (kafka::CallOverrun).
  void transaction_call(const std::string& what, const std::function<void(kafka::Producer&)>& call,
                        std::chrono::milliseconds stuck_after = {});
  void init_transactions();
  void replace_producer(const std::string& why);
  bool replace_failed_producer();

  const std::function<kafka::Settings()> settings_;
  KafkaSource& source_;
  KafkaCalls& calls_;
  const std::string calls_topic_;
  const std::string dlq_;
  const std::string stats_;
  const std::string state_;
  // Shared with a call that overran its deadline, which may still be using it.
  std::shared_ptr<kafka::Producer> producer_;
  bool replaced_ = false;       // a new producer since the transaction opened: nothing to abort
  bool member_fenced_ = false;  // the group refused the offsets with FENCED_INSTANCE_ID
  bool recovered_ = false;      // a failed producer replaced since the last commit
};

class KafkaStateStore final : public StateStore {
 public:
  // Reads the state topic `topic` with `settings` (a plain reader's).
  KafkaStateStore(kafka::Settings settings, std::string topic, WindowSpec spec, KafkaCalls& calls);

  std::map<std::int32_t, PartitionWindows> load(const std::vector<std::int32_t>& partitions) override;

 private:
  const kafka::Settings settings_;
  const std::string topic_;
  const WindowSpec spec_;
  KafkaCalls& calls_;
};

class KafkaMergeStore final : public MergeStore {
 public:
  // Reads the stats topic `topic` (`partitions` of it) and its end offsets with clients
  // of `reader`'s settings (a plain reader's); `offsets` reads what the windows group
  // committed.
  KafkaMergeStore(kafka::Settings reader, std::unique_ptr<RdKafka::KafkaConsumer> offsets, std::string topic,
                  int partitions, int calls_partitions, KafkaCalls& calls);

  std::map<std::int32_t, Rebuilt> load(const std::vector<std::int32_t>& partitions) override;
  std::map<std::int32_t, std::int64_t> ends(const std::vector<std::int32_t>& partitions) override;
  std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) override;

 private:
  const kafka::Settings reader_;
  std::unique_ptr<RdKafka::KafkaConsumer> offsets_;
  const std::string topic_;
  const int partitions_;
  const int calls_partitions_;
  KafkaCalls& calls_;
};

}  // namespace sfcrimed::detail
