// A pipeline thread's transactions: each commits its stats messages, dead letters, state
// snapshots and consumer offsets together, so that a crash at any moment loses and
// doubles nothing. A call a failover times out is made again; a transaction the broker
// aborted is undone here too (rewind), and its records read again.
#include <utility>

#include "detail/pipeline_worker.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::detail {

// True when what was done since the last commit is committed (or there was nothing);
// false when the transaction had to be aborted and the thread rewound to the last commit.
bool Worker::commit(OpenWindows open) {
  if (changed_.empty() && (open != OpenWindows::all || owned_.empty())) {
    return true;  // nothing new: no empty transactions
  }
  try {
    transact(open);
    committed(open);
    return true;
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());
  } catch (const kafka::CallOverrun& e) {
    replace_producer(e.what());
    rewind(e.what(), false);
  }
  return false;
}

void Worker::transact(OpenWindows open) {
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
  // Owned by the call (a call that overruns its deadline may use them after this returns).
  const std::shared_ptr<RdKafka::ConsumerGroupMetadata> group(consumer_->groupMetadata());
  const std::shared_ptr<std::vector<RdKafka::TopicPartition*>> owned_offsets(
      new std::vector<RdKafka::TopicPartition*>(std::move(offsets)), [](auto* list) {
        RdKafka::TopicPartition::destroy(*list);
        delete list;
      });
  // The group's metadata goes with the offsets: a thread whose partitions the group has
  // given to another member since cannot commit them (KIP-447's fencing of zombies).
  transaction_call("add the consumer offsets to the transaction", [group, owned_offsets](kafka::Producer& producer) {
    producer.send_offsets_to_transaction(*owned_offsets, *group, kTransactionCallTimeout);
  });
  // A commit retried after a timeout finishes the same transaction (librdkafka resumes it).
  transaction_call("commit the transaction",
                   [](kafka::Producer& producer) { producer.commit_transaction(kTransactionCallTimeout); });
  producer_->begin_transaction();
  health_.progressed();
}

// Committed: now it may be told (log, report, listeners, metrics).
void Worker::committed(OpenWindows open) {
  PipelineMetrics& metrics = shared_.metrics.pipeline;
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
  metrics.last_commit.Add({{"thread", std::to_string(index_)}})
      .Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  last_emit_ = open == OpenWindows::none ? last_emit_ : now;
  for (const auto& [partition, state] : owned_) {
    publish(partition, state);
  }
  flush_counts();
}

void Worker::forget_transaction() {
  final_entries_.clear();
  committed_entries_.clear();
  emitted_windows_.clear();
  stats_messages_ = 0;
  records_in_transaction_ = 0;
  changed_.clear();
}

// Back to the last committed state: abort the transaction (unless a new producer has
// fenced it already), forget what it did (counts included: its records will be read
// again), reload the snapshots, read on from there.
void Worker::rewind(const std::string& why, bool abort) {
  log::warning("pipeline", why + "; aborting the transaction and resuming from the last commit");
  shared_.metrics.pipeline.transactions_aborted.Increment();
  if (abort) {
    try {
      transaction_call("abort the transaction",
                       [](kafka::Producer& producer) { producer.abort_transaction(kTransactionCallTimeout); });
    } catch (const kafka::CallOverrun& e) {
      replace_producer(e.what());
    }
  }
  forget_transaction();
  counts_.clear();
  closed_since_.clear();
  std::vector<std::int32_t> partitions;
  partitions.reserve(owned_.size());
  for (const auto& [partition, state] : owned_) {
    partitions.push_back(partition);
    shared_.drain_rewound(partition);
  }
  for (auto& [partition, state] : load_state(partitions)) {
    owned_.insert_or_assign(partition, std::move(state));
  }
  seek_to_state();
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

}  // namespace sfcrimed::detail
