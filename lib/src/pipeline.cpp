#include "sfcrimed/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "detail/format.hpp"
#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/stats_topic.hpp"
#include "sfcrimed/topic_reader.hpp"
#include "sfcrimed/window_log.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed {
namespace {

using Clock = std::chrono::steady_clock;
using OpenWindows = PartitionWindows::OpenWindows;
constexpr std::chrono::milliseconds kKafkaTimeout = std::chrono::seconds(30);
constexpr std::chrono::milliseconds kPollTimeout = std::chrono::milliseconds(100);

using detail::format;

// Compacted topics keep the latest message per key (the stats' truth, the state's
// snapshot). The state topic's segments roll often so compaction keeps it small.
kafka::Settings stats_topic_config() { return {{"cleanup.policy", "compact"}}; }
kafka::Settings state_topic_config() {
  return {{"cleanup.policy", "compact"},
          {"segment.ms", "600000"},
          {"min.cleanable.dirty.ratio", "0.1"},
          {"max.message.bytes", "16777216"}};
}

// Counts a thread keeps between flushes to Prometheus: shared counters per record would
// cost more than the rest of the record's work.
struct LocalCounts {
  std::uint64_t consumed = 0;
  std::uint64_t parsed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t late = 0;
  std::uint64_t aggregated = 0;
  std::vector<double> latency_buckets;
  double latency_sum = 0;

  // Back to zero, the buckets kept (their count is the histogram's).
  void clear() {
    consumed = parsed = malformed = duplicate = late = aggregated = 0;
    std::fill(latency_buckets.begin(), latency_buckets.end(), 0);
    latency_sum = 0;
  }
};

}  // namespace

std::string PipelineReport::to_json() const {
  return "{\"consumed\":" + std::to_string(consumed) + ",\"malformed\":" + std::to_string(malformed) +
         ",\"duplicates\":" + std::to_string(duplicates) + ",\"late\":" + std::to_string(late) +
         ",\"windows_emitted\":" + std::to_string(windows_emitted) + ",\"seconds\":" + format("%.3f", seconds) +
         ",\"rate\":" + format("%.1f", rate()) + ",\"drained\":" + (drained ? "true" : "false") + "}";
}

// What the threads share: configuration, topics, the drain targets, the report, errors.
namespace detail {

class PipelineShared {
 public:
  PipelineShared(const Config& config_in, Metrics& metrics_in)
      : config(config_in),
        metrics(metrics_in),
        codes(config_in.pipeline.radio_codes.empty() ? RadioCodes::builtin()
                                                     : RadioCodes::load(config_in.pipeline.radio_codes)),
        spec{config_in.pipeline.window.count(), config_in.pipeline.allowed_lateness.count()},
        dlq(dlq_topic(config_in)),
        stats(stats_topic(config_in)),
        state(state_topic(config_in)),
        latency_bounds(latency_buckets()) {}

  const Config& config;
  Metrics& metrics;
  const RadioCodes codes;
  const WindowSpec spec;
  const std::string dlq;
  const std::string stats;
  const std::string state;
  const prometheus::Histogram::BucketBoundaries latency_bounds;
  int partitions = 0;  // of the calls topic, known once run() has looked
  std::unique_ptr<WindowLog> window_log;
  std::unique_ptr<kafka::Producer> admin;  // creates topics, reads end offsets

  // Drain: the end offsets to reach, and the partitions that have.
  std::mutex drain_mutex;
  bool ready = false;  // topics known: drain targets can be read
  bool drain_requested = false;
  std::map<std::int32_t, std::int64_t> drain_targets;
  std::set<std::int32_t> drain_reached;
  std::atomic<bool> drain_armed{false};  // targets set
  std::atomic<bool> drained{false};

  void set_drain_targets() {
    std::map<std::int32_t, std::int64_t> targets;
    for (std::int32_t partition = 0; partition < partitions; ++partition) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      const auto err = kafka::watermark_offsets(admin->handle(), config.kafka.topic, partition,
                                                std::chrono::steady_clock::now() + kKafkaTimeout, low, high);
      if (err != RdKafka::ERR_NO_ERROR) {
        throw std::runtime_error("cannot read the end offsets of '" + config.kafka.topic +
                                 "': " + RdKafka::err2str(err));
      }
      targets[partition] = high;
    }
    std::string where;
    for (const auto& [partition, offset] : targets) {
      where += (where.empty() ? "p" : ", p") + std::to_string(partition) + " " + std::to_string(offset);
    }
    log::info("pipeline", "draining to the end offsets " + where);
    const std::lock_guard lock(drain_mutex);
    drain_targets = std::move(targets);
    drain_armed.store(true, std::memory_order_release);
  }

  // Called with a partition's next offset; finishes the drain once every partition is there.
  void drain_progress(std::int32_t partition, std::int64_t next_offset) {
    if (!drain_armed.load(std::memory_order_acquire)) {
      return;  // the common case, without the lock
    }
    const std::lock_guard lock(drain_mutex);
    if (drain_targets.empty() || drained) {
      return;
    }
    if (next_offset >= drain_targets[partition]) {
      drain_reached.insert(partition);
    }
    if (drain_reached.size() == drain_targets.size()) {
      drained = true;
    }
  }

  // A partition rewound to its last commit is not at its target any more.
  void drain_rewound(std::int32_t partition) {
    const std::lock_guard lock(drain_mutex);
    if (!drained) {
      drain_reached.erase(partition);
    }
  }

  // Threads that have taken their first assignment (their partitions' state loaded).
  std::atomic<int> threads_assigned{0};

  // The report, across threads.
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> late{0};
  std::mutex windows_mutex;
  std::set<WallSeconds> windows_emitted;
  std::mutex clock_mutex;
  std::optional<Clock::time_point> first_record;

  // Progress: each partition's end and position as its owner last saw them.
  std::mutex progress_mutex;
  std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> partition_offsets;  // end, position
  std::map<std::int32_t, std::size_t> partition_open_windows;
  PipelineProgress::Mark progress_line_mark;  // progress_line()'s
  Pipeline::StatsListener stats_listener;     // set before run()

  // The first fatal error of any thread stops them all.
  std::stop_source failed;
  std::mutex error_mutex;
  std::exception_ptr error;
  void fail(std::exception_ptr e) {
    {
      const std::lock_guard lock(error_mutex);
      if (!error) {
        error = std::move(e);
      }
    }
    failed.request_stop();
  }
};

}  // namespace detail

namespace {

// One consumer thread: its consumer, its transactional producer, the state of the
// partitions it owns.
class Worker final : public RdKafka::RebalanceCb {
 public:
  Worker(detail::PipelineShared& shared, int index) : shared_(shared), index_(index) {
    counts_.latency_buckets.assign(shared.latency_bounds.size() + 1, 0);
  }

  void run(const std::stop_token& stop);

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

 private:
  void handle(const RdKafka::Message& message);
  bool commit(OpenWindows open);
  void rewind(const std::string& why);
  void transact(OpenWindows open);
  void emit(std::int32_t partition, PartitionWindows& state, OpenWindows open);
  void forget_transaction() {
    final_entries_.clear();
    committed_entries_.clear();
    emitted_windows_.clear();
    stats_messages_ = 0;
    records_in_transaction_ = 0;
    changed_.clear();
  }
  void take(const std::vector<std::int32_t>& partitions);
  void flush_counts();
  void forget_partition_metrics(std::int32_t partition);
  void check_drain();

  detail::PipelineShared& shared_;
  const int index_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<std::int32_t, PartitionWindows> owned_;
  std::set<std::int32_t> changed_;                          // since the last commit
  std::map<std::int32_t, Clock::time_point> closed_since_;  // a window closed, not yet committed
  std::uint64_t records_in_transaction_ = 0;
  // What the open transaction has emitted, told once it commits.
  std::map<std::int32_t, std::vector<StatsEntry>> final_entries_;
  std::vector<StatsEntry> committed_entries_;  // every entry, when a listener wants them
  std::set<WallSeconds> emitted_windows_;
  std::uint64_t stats_messages_ = 0;
  std::exception_ptr callback_error_;  // from rebalance_cb, rethrown after consume()
  bool assigned_once_ = false;
  CallParser parser_;
  CallView call_;
  std::string reason_;
  LocalCounts counts_;
  Clock::time_point last_emit_ = Clock::now();
};

void Worker::run(const std::stop_token& stop) {
  const Config& config = shared_.config;
  const std::string name = config.pipeline.group + "." + config.kafka.topic + "." + std::to_string(index_);
  kafka::Settings producer_settings = {{"bootstrap.servers", config.kafka.bootstrap},
                                       {"client.id", name + ".producer"}};
  producer_settings.insert(producer_settings.end(), config.producer.begin(), config.producer.end());
  // A transaction's stats messages are all queued before it commits; the ingest's queue
  // limits (sized to pace a replay) would only make the thread wait on acknowledgements.
  producer_settings.emplace_back("queue.buffering.max.messages", "1000000");
  producer_settings.emplace_back("queue.buffering.max.kbytes", "1048576");
  // State snapshots may exceed librdkafka's default 1 MB; the state topic takes 16 MiB.
  producer_settings.emplace_back("message.max.bytes", "16777216");
  // The same id after a restart fences the crashed process's producer and aborts what it
  // left open.
  producer_settings.emplace_back("transactional.id", name);
  producer_ = std::make_unique<kafka::Producer>(producer_settings);
  producer_->init_transactions(kKafkaTimeout);

  kafka::Settings consumer_settings = {{"bootstrap.servers", config.kafka.bootstrap},
                                       {"group.id", config.pipeline.group},
                                       {"client.id", name},
                                       // Static membership: a restarted thread takes its partitions
                                       // back at once, without waiting out the crashed one's session.
                                       {"group.instance.id", name},
                                       {"auto.offset.reset", "earliest"},
                                       {"enable.partition.eof", "true"}};
  consumer_settings.insert(consumer_settings.end(), config.consumer.begin(), config.consumer.end());
  auto conf = kafka::make_conf(consumer_settings);
  std::string error;
  conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) {
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  }
  if (const auto err = consumer_->subscribe({config.kafka.topic}); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot subscribe to '" + config.kafka.topic + "': " + RdKafka::err2str(err));
  }
  producer_->begin_transaction();

  auto last_commit = Clock::now();
  auto now = last_commit;
  unsigned since_clock_check = 0;
  while (!stop.stop_requested() && !shared_.failed.get_token().stop_requested() && !shared_.drained) {
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
    if ((++since_clock_check & 63U) == 0 || message->err() != RdKafka::ERR_NO_ERROR) {
      now = Clock::now();
    }
    if (now - last_commit >= config.pipeline.commit_interval) {
      const bool emit_open =
          config.pipeline.emit_interval.count() > 0 && Clock::now() - last_emit_ >= config.pipeline.emit_interval;
      commit(emit_open ? OpenWindows::changed_only : OpenWindows::none);
      check_drain();
      last_commit = now = Clock::now();
    }
  }
  // Drained: every window's counts out. Stopped: committed state is enough to resume.
  if (!commit(shared_.drained ? OpenWindows::all : OpenWindows::none) && shared_.drained) {
    throw std::runtime_error("the drain's last transaction was aborted; its work is undone, run again to finish");
  }
  consumer_->close();  // revokes (and commits) whatever is left
  if (callback_error_) {
    std::rethrow_exception(callback_error_);
  }
  flush_counts();
}

void Worker::handle(const RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR__PARTITION_EOF) {
    // At the end: offsets past the last record (transaction markers, records removed by
    // retention) count as reached too.
    if (const auto found = owned_.find(message.partition()); found != owned_.end()) {
      shared_.drain_progress(message.partition(), std::max(found->second.next_offset(), message.offset()));
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
  const std::string_view bytes(static_cast<const char*>(message.payload()), message.len());
  if (!parser_.parse(bytes, call_, reason_)) {
    ++counts_.malformed;
    const std::string* key = message.key();
    producer_->produce(shared_.dlq, RdKafka::Topic::PARTITION_UA, key != nullptr ? *key : std::string_view(), bytes,
                       {{"sfcrimed.reason", reason_},
                        {"sfcrimed.source.topic", message.topic_name()},
                        {"sfcrimed.source.partition", std::to_string(message.partition())},
                        {"sfcrimed.source.offset", std::to_string(message.offset())}});
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
  const RdKafka::MessageTimestamp timestamp = message.timestamp();
  if (timestamp.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double seconds = std::max(0.0, now - static_cast<double>(timestamp.timestamp) / 1000);
    const auto bucket = std::lower_bound(shared_.latency_bounds.begin(), shared_.latency_bounds.end(), seconds) -
                        shared_.latency_bounds.begin();
    counts_.latency_buckets[static_cast<std::size_t>(bucket)] += 1;
    counts_.latency_sum += seconds;
  }
  state.set_next_offset(message.offset() + 1);
  changed_.insert(message.partition());
  ++records_in_transaction_;
  shared_.drain_progress(message.partition(), state.next_offset());
}

void Worker::check_drain() {
  for (const auto& [partition, state] : owned_) {
    shared_.drain_progress(partition, state.next_offset());
  }
}

// True when what was done since the last commit is committed (or there was nothing);
// false when the transaction had to be aborted and the thread rewound to the last commit.
bool Worker::commit(OpenWindows open) {
  if (changed_.empty() && (open != OpenWindows::all || owned_.empty())) {
    return true;  // nothing new: no empty transactions
  }
  try {
    transact(open);
    return true;
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());
    return false;
  }
}

// Back to the last committed state: abort the transaction, forget what it did (counts
// included: its records will be read again), reload the snapshots, read on from there.
void Worker::rewind(const std::string& why) {
  log::warning("pipeline", why + "; aborting the transaction and resuming from the last commit");
  shared_.metrics.pipeline.transactions_aborted.Increment();
  producer_->abort_transaction(kKafkaTimeout);
  forget_transaction();
  counts_.clear();
  closed_since_.clear();
  std::vector<std::int32_t> partitions;
  partitions.reserve(owned_.size());
  for (const auto& [partition, state] : owned_) {
    partitions.push_back(partition);
    shared_.drain_rewound(partition);
  }
  take(partitions);
  producer_->begin_transaction();
}

// Produces the stats messages `state` has due into the open transaction; what they tell
// the log and the report waits for the commit.
void Worker::emit(std::int32_t partition, PartitionWindows& state, OpenWindows open) {
  const auto entries = state.take_emissions(open, shared_.codes);
  for (const auto& entry : entries) {
    producer_->produce(shared_.stats, RdKafka::Topic::PARTITION_UA, stats_key(entry), stats_value(entry), {});
    emitted_windows_.insert(entry.window_start);
    if (entry.final) {
      final_entries_[partition].push_back(entry);
    }
  }
  if (shared_.stats_listener) {
    committed_entries_.insert(committed_entries_.end(), entries.begin(), entries.end());
  }
  stats_messages_ += entries.size();
}

void Worker::transact(OpenWindows open) {
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  for (auto& [partition, state] : owned_) {
    if (!changed_.contains(partition) && open != OpenWindows::all) {
      continue;
    }
    emit(partition, state, open);
    producer_->produce(shared_.state, partition, std::to_string(partition), state.snapshot(), {});
  }
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [partition, state] : owned_) {
    offsets.push_back(RdKafka::TopicPartition::create(shared_.config.kafka.topic, partition, state.next_offset()));
  }
  const std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(consumer_->groupMetadata());
  try {
    producer_->send_offsets_to_transaction(offsets, *group, kKafkaTimeout);
    RdKafka::TopicPartition::destroy(offsets);
  } catch (...) {
    RdKafka::TopicPartition::destroy(offsets);
    throw;
  }
  producer_->commit_transaction(kKafkaTimeout);
  producer_->begin_transaction();

  // Committed: now it may be told.
  const auto now = Clock::now();
  for (const auto& [partition, since] : closed_since_) {
    metrics.window_emit_latency.Observe(std::chrono::duration<double>(now - since).count());
  }
  closed_since_.clear();
  std::set<WallSeconds> closed_windows;
  for (const auto partition : changed_) {
    const auto& entries = final_entries_[partition];
    for (const auto& entry : entries) {
      closed_windows.insert(entry.window_start);
    }
    for (const auto& line : shared_.window_log->report(partition, owned_.at(partition).closed_through(), entries)) {
      log::info("window", line);
    }
  }
  {
    const std::lock_guard lock(shared_.windows_mutex);
    shared_.windows_emitted.insert(emitted_windows_.begin(), emitted_windows_.end());
  }
  if (shared_.stats_listener && !committed_entries_.empty()) {
    shared_.stats_listener(committed_entries_);
  }
  metrics.windows_closed.Increment(static_cast<double>(closed_windows.size()));
  metrics.stats_messages.Increment(static_cast<double>(stats_messages_));
  metrics.transaction_records.Observe(static_cast<double>(records_in_transaction_));
  forget_transaction();
  metrics.transactions_committed.Increment();
  last_emit_ = open == OpenWindows::none ? last_emit_ : now;
  const std::lock_guard lock(shared_.progress_mutex);
  for (const auto& [partition, state] : owned_) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    consumer_->get_watermark_offsets(shared_.config.kafka.topic, partition, &low, &high);
    const std::string label = std::to_string(partition);
    metrics.lag.Add({{"partition", label}})
        .Set(static_cast<double>(std::max<std::int64_t>(0, high - state.next_offset())));
    metrics.open_windows.Add({{"partition", label}}).Set(static_cast<double>(state.open_windows()));
    metrics.state_entries.Add({{"partition", label}}).Set(static_cast<double>(state.entries()));
    shared_.partition_offsets[partition] = {std::max(high, state.next_offset()), state.next_offset()};
    shared_.partition_open_windows[partition] = state.open_windows();
  }
  flush_counts();
}

// A partition this thread no longer owns: its series go, or a sum over partitions (the
// lag alert's) would count it again under its new owner.
void Worker::forget_partition_metrics(std::int32_t partition) {
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  const std::map<std::string, std::string> labels = {{"partition", std::to_string(partition)}};
  for (auto* family : {&metrics.lag, &metrics.open_windows, &metrics.state_entries}) {
    family->Remove(&family->Add(labels));
  }
  const std::lock_guard lock(shared_.progress_mutex);
  shared_.partition_offsets.erase(partition);
  shared_.partition_open_windows.erase(partition);
}

void Worker::flush_counts() {
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  metrics.consumed.Increment(static_cast<double>(counts_.consumed));
  metrics.parsed.Increment(static_cast<double>(counts_.parsed));
  metrics.malformed.Increment(static_cast<double>(counts_.malformed));
  metrics.duplicate.Increment(static_cast<double>(counts_.duplicate));
  metrics.late.Increment(static_cast<double>(counts_.late));
  metrics.aggregated.Increment(static_cast<double>(counts_.aggregated));
  metrics.latency.ObserveMultiple(counts_.latency_buckets, counts_.latency_sum);
  shared_.consumed += counts_.consumed;
  shared_.malformed += counts_.malformed;
  shared_.duplicates += counts_.duplicate;
  shared_.late += counts_.late;
  counts_.clear();
}

// Loads the committed state of `partitions` (a fresh one where there is none yet) and
// reads on from each one's next offset.
void Worker::take(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, PartitionWindows> loaded;
  for (const auto partition : partitions) {
    loaded.emplace(partition, PartitionWindows(partition, shared_.spec));
  }
  // One read for all of them (a consumer per partition would cost a connection each):
  // state partition p holds the snapshots of calls partition p.
  // Only the latest snapshot of each partition matters: keep its bytes, parse it once.
  std::map<std::int32_t, std::string> latest;
  const auto keep = [&](const RdKafka::Message& message) {
    if (message.len() > 0 && loaded.contains(message.partition())) {
      latest[message.partition()].assign(static_cast<const char*>(message.payload()), message.len());
    }
  };
  const kafka::Settings reader = {{"bootstrap.servers", shared_.config.kafka.bootstrap}};
  if (partitions.size() == 1) {
    kafka::read_to_end(reader, shared_.state, keep, kKafkaTimeout, partitions.front());
  } else if (!partitions.empty()) {
    kafka::read_to_end(reader, shared_.state, keep, kKafkaTimeout);
  }
  for (const auto& [partition, snapshot] : latest) {
    auto state = PartitionWindows::restore(snapshot, shared_.spec);
    if (state.partition() == partition) {
      loaded.insert_or_assign(partition, std::move(state));
    }
  }
  std::vector<RdKafka::TopicPartition*> assignment;
  std::string where;
  for (auto& [partition, state] : loaded) {
    const std::int64_t offset = state.next_offset();
    assignment.push_back(RdKafka::TopicPartition::create(shared_.config.kafka.topic, partition,
                                                         offset > 0 ? offset : RdKafka::Topic::OFFSET_BEGINNING));
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + "@" + std::to_string(offset);
    owned_.insert_or_assign(partition, std::move(state));
    changed_.erase(partition);
  }
  const auto err = consumer_->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot assign " + where + ": " + RdKafka::err2str(err));
  }
  log::info("pipeline", "thread " + std::to_string(index_) + " owns " + (where.empty() ? "no partition" : where) +
                            " (from the committed state)");
  if (!assigned_once_) {
    assigned_once_ = true;
    shared_.threads_assigned.fetch_add(1, std::memory_order_release);
  }
}

void Worker::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                          std::vector<RdKafka::TopicPartition*>& partitions) {
  // Exceptions must not cross librdkafka's C frames: keep one for after consume().
  try {
    std::vector<std::int32_t> numbers;
    numbers.reserve(partitions.size());
    for (const auto* partition : partitions) {
      numbers.push_back(partition->partition());
    }
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      take(numbers);
      check_drain();
      return;
    }
    // Revoked: commit what was done with them, then let them go.
    commit(OpenWindows::none);
    for (const auto partition : numbers) {
      owned_.erase(partition);
      forget_partition_metrics(partition);
    }
    consumer->unassign();
  } catch (...) {
    callback_error_ = std::current_exception();
  }
}

}  // namespace

Pipeline::Pipeline(const Config& config, Metrics& metrics)
    : shared_(std::make_unique<detail::PipelineShared>(config, metrics)) {}

Pipeline::~Pipeline() = default;

PipelineReport Pipeline::run(const std::stop_token& stop) {
  detail::PipelineShared& shared = *shared_;
  const Config& config = shared.config;
  shared.admin = std::make_unique<kafka::Producer>(kafka::Settings{{"bootstrap.servers", config.kafka.bootstrap}});
  auto& admin = shared.admin->handle();
  if (kafka::ensure_topic(admin, config.kafka.topic, config.kafka.partitions, kKafkaTimeout)) {
    log::info("pipeline", "created topic " + config.kafka.topic + " with " + std::to_string(config.kafka.partitions) +
                              " partitions (waiting for calls)");
  }
  shared.partitions = kafka::partition_count(admin, config.kafka.topic, kKafkaTimeout);
  for (const auto& [topic, topic_config] :
       {std::pair{shared.dlq, kafka::Settings{}}, std::pair{shared.stats, stats_topic_config()},
        std::pair{shared.state, state_topic_config()}}) {
    if (kafka::ensure_topic(admin, topic, shared.partitions, kKafkaTimeout, topic_config)) {
      log::info("pipeline", "created topic " + topic + " with " + std::to_string(shared.partitions) + " partitions");
    }
  }
  if (const int state_partitions = kafka::partition_count(admin, shared.state, kKafkaTimeout);
      state_partitions < shared.partitions) {
    throw std::runtime_error("the state topic '" + shared.state + "' has " + std::to_string(state_partitions) +
                             " partitions, fewer than the " + std::to_string(shared.partitions) + " of '" +
                             config.kafka.topic + "'; add partitions to it (kafka-topics.sh --alter)");
  }
  shared.window_log = std::make_unique<WindowLog>(shared.partitions);
  bool drain_now = false;
  {
    // From here on drain_to_current_end() reads the end offsets itself; before, it asks.
    const std::lock_guard lock(shared.drain_mutex);
    shared.ready = true;
    drain_now = shared.drain_requested;
  }
  if (drain_now) {
    shared.set_drain_targets();
  }
  shared.metrics.pipeline.threads.Set(config.pipeline.threads);
  log::info("pipeline", std::to_string(config.pipeline.threads) + " threads consuming " + config.kafka.topic + " (" +
                            std::to_string(shared.partitions) + " partitions) in group " + config.pipeline.group +
                            "; windows of " + format_duration(config.pipeline.window) + ", allowed lateness " +
                            format_duration(config.pipeline.allowed_lateness));

  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(config.pipeline.threads));
    for (int index = 0; index < config.pipeline.threads; ++index) {
      threads.emplace_back([&shared, &stop, index] {
        try {
          Worker worker(shared, index);
          worker.run(stop);
        } catch (...) {
          shared.fail(std::current_exception());
        }
      });
    }
  }
  if (shared.error) {
    std::rethrow_exception(shared.error);
  }
  PipelineReport report;
  report.consumed = shared.consumed;
  report.malformed = shared.malformed;
  report.duplicates = shared.duplicates;
  report.late = shared.late;
  report.windows_emitted = shared.windows_emitted.size();
  report.drained = shared.drained;
  if (shared.first_record) {
    report.seconds = std::chrono::duration<double>(Clock::now() - *shared.first_record).count();
  }
  return report;
}

int Pipeline::threads_assigned() const { return shared_->threads_assigned.load(std::memory_order_acquire); }

void Pipeline::drain_to_current_end() {
  bool now = false;
  {
    const std::lock_guard lock(shared_->drain_mutex);
    now = shared_->ready;
    shared_->drain_requested = true;
  }
  if (now) {
    shared_->set_drain_targets();
  }
}

PipelineProgress Pipeline::progress(PipelineProgress::Mark& since) const {
  detail::PipelineShared& shared = *shared_;
  const auto now = Clock::now();
  const double seconds = std::max(1e-3, std::chrono::duration<double>(now - since.time).count());
  PipelineProgress progress;
  const double consumed = shared.metrics.pipeline.consumed.Value();
  std::int64_t end_sum = 0;
  {
    const std::lock_guard lock(shared.progress_mutex);
    for (const auto& [partition, offsets] : shared.partition_offsets) {
      end_sum += offsets.first;
      progress.lag += offsets.first - offsets.second;
    }
    for (const auto& [partition, open] : shared.partition_open_windows) {
      progress.open_windows += open;
    }
  }
  const auto histogram = shared.metrics.pipeline.latency.Collect().histogram;
  std::vector<std::uint64_t> cumulative;
  for (const auto& bucket : histogram.bucket) {
    cumulative.push_back(bucket.cumulative_count);
  }
  progress.latency_p50 = bucket_quantile(histogram, since.latency, 0.5);
  progress.latency_p99 = bucket_quantile(histogram, since.latency, 0.99);
  progress.input_rate = since.end_sum < 0 ? 0 : std::max(0.0, static_cast<double>(end_sum - since.end_sum) / seconds);
  progress.processed_rate = (consumed - since.consumed) / seconds;
  progress.consumed = static_cast<std::uint64_t>(consumed);
  progress.malformed = shared.malformed.load();
  progress.duplicates = shared.duplicates.load();
  progress.late = shared.late.load();
  since = {now, consumed, end_sum, std::move(cumulative)};
  return progress;
}

std::string Pipeline::progress_line() {
  const auto progress = this->progress(shared_->progress_line_mark);
  std::string p99 = "-";
  if (progress.latency_p99) {
    p99 = std::isinf(*progress.latency_p99) ? "> " + format("%.1f", shared_->latency_bounds.back()) + " s"
                                            : "<= " + format("%.4f", *progress.latency_p99) + " s";
  }
  return "input " + format("%.1f", progress.input_rate) + " rows/s, processed " +
         format("%.1f", progress.processed_rate) + " rows/s, lag " + std::to_string(progress.lag) +
         " records, p99 latency " + p99 + ", open windows " + std::to_string(progress.open_windows) +
         "; totals: " + std::to_string(progress.consumed) + " consumed, " + std::to_string(progress.malformed) +
         " malformed, " + std::to_string(progress.duplicates) + " duplicate, " + std::to_string(progress.late) +
         " late";
}

void Pipeline::on_committed_stats(StatsListener listener) { shared_->stats_listener = std::move(listener); }

}  // namespace sfcrimed
