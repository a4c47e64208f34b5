// A pipeline thread's partitions: the group's rebalances give and take them (eagerly, all
// at once, with the classic protocol; incrementally with KIP-848's or a cooperative
// assignor), and each one given is restored from its last committed snapshot.
#include <algorithm>

#include "detail/pipeline_worker.hpp"
#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::detail {
namespace {

constexpr int kSeekTimeoutMs = 10'000;  // the fetcher's acknowledgement: nothing older is handed over

std::string partition_list(const std::vector<std::int32_t>& partitions) {
  std::string list;
  for (const auto partition : partitions) {
    list += (list.empty() ? "p" : ", p") + std::to_string(partition);
  }
  return list.empty() ? "no partition" : list;
}

std::int64_t start_offset(const PartitionWindows& state) {
  return state.next_offset() > 0 ? state.next_offset() : RdKafka::Topic::OFFSET_BEGINNING;
}

}  // namespace

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
    } else {
      release(numbers, consumer->assignment_lost());
    }
  } catch (...) {
    callback_error_ = std::current_exception();
  }
}

// Loads the committed state of `partitions` (a fresh one where there is none yet) and
// reads on from each one's next offset.
void Worker::take(const std::vector<std::int32_t>& partitions) {
  std::vector<RdKafka::TopicPartition*> assignment;
  std::string where;
  for (auto& [partition, state] : load_state(partitions)) {
    assignment.push_back(RdKafka::TopicPartition::create(shared_.config.kafka.topic, partition, start_offset(state)));
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + "@" + std::to_string(state.next_offset());
    publish(partition, state);
    owned_.insert_or_assign(partition, std::move(state));
    changed_.erase(partition);
  }
  RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
  if (cooperative()) {
    if (const std::unique_ptr<RdKafka::Error> error(consumer_->incremental_assign(assignment)); error) {
      err = error->code();
    }
  } else {
    err = consumer_->assign(assignment);  // the whole assignment, owned_ having been emptied
  }
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot assign " + where + ": " + RdKafka::err2str(err));
  }
  log::info("pipeline", "thread " + std::to_string(index_) + (cooperative() ? " adds " : " owns ") +
                            (where.empty() ? "no partition" : where) + " (from the committed state)");
  if (!assigned_once_) {
    assigned_once_ = true;
    shared_.threads_assigned.fetch_add(1, std::memory_order_release);
  }
}

// Revoked: commit what was done with them, then let them go. Lost (the group gave them
// to another member while this one could not be reached): what was done since the last
// commit cannot be committed any more; it is undone, for the new owner does it again.
void Worker::release(const std::vector<std::int32_t>& partitions, bool lost) {
  if (lost) {
    log::warning("pipeline", "thread " + std::to_string(index_) + " lost " + partition_list(partitions) +
                                 " to the group (its session ended); their uncommitted work is left to the new owner");
    // The open transaction may hold their stats and dead letters: it is aborted whole, and
    // the partitions kept go back to their last commit too.
    const bool open_transaction = records_in_transaction_ > 0 || stats_messages_ > 0 || !changed_.empty();
    for (const auto partition : partitions) {
      forget_partition(partition);
    }
    if (open_transaction) {
      rewind("partitions lost");
    }
  } else {
    commit(OpenWindows::none);
    for (const auto partition : partitions) {
      forget_partition(partition);
    }
  }
  if (cooperative()) {
    std::vector<RdKafka::TopicPartition*> revoked;
    revoked.reserve(partitions.size());
    for (const auto partition : partitions) {
      revoked.push_back(RdKafka::TopicPartition::create(shared_.config.kafka.topic, partition));
    }
    const std::unique_ptr<RdKafka::Error> error(consumer_->incremental_unassign(revoked));
    RdKafka::TopicPartition::destroy(revoked);
  } else {
    consumer_->unassign();
  }
  log::info("pipeline", "thread " + std::to_string(index_) + " released " + partition_list(partitions));
}

// The latest committed snapshot of each of `partitions`: state partition p holds the
// snapshots of calls partition p. One read for all of them (a consumer per partition would
// cost a connection each), retried as a whole while the cluster fails over.
std::map<std::int32_t, PartitionWindows> Worker::load_state(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::string> latest;  // only the latest matters: keep its bytes, parse it once
  const auto keep = [&](const RdKafka::Message& message) {
    if (message.len() > 0 && std::find(partitions.begin(), partitions.end(), message.partition()) != partitions.end()) {
      latest[message.partition()].assign(static_cast<const char*>(message.payload()), message.len());
    }
  };
  const kafka::Settings reader = client_settings(shared_.config, name_ + ".state-reader");
  if (!partitions.empty()) {
    kafka_call("read the state topic '" + shared_.state + "'", [&] {
      latest.clear();
      kafka::read_to_end(reader, shared_.state, keep, kKafkaCallTimeout,
                         partitions.size() == 1 ? std::optional(partitions.front()) : std::nullopt);
    });
  }
  std::map<std::int32_t, PartitionWindows> loaded;
  for (const auto partition : partitions) {
    loaded.emplace(partition, PartitionWindows(partition, shared_.spec));
  }
  for (const auto& [partition, snapshot] : latest) {
    auto state = PartitionWindows::restore(snapshot, shared_.spec);
    if (state.partition() == partition) {
      loaded.insert_or_assign(partition, std::move(state));
    }
  }
  return loaded;
}

// After a rewind: every owned partition read again from its restored state's offset.
void Worker::seek_to_state() {
  for (const auto& [partition, state] : owned_) {
    const std::unique_ptr<RdKafka::TopicPartition> position(
        RdKafka::TopicPartition::create(shared_.config.kafka.topic, partition, start_offset(state)));
    if (const auto err = consumer_->seek(*position, kSeekTimeoutMs); err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot rewind partition " + std::to_string(partition) + " to offset " +
                               std::to_string(state.next_offset()) + ": " + RdKafka::err2str(err));
    }
    publish(partition, state);
  }
}

// What the monitor and /metrics know of an owned partition.
void Worker::publish(std::int32_t partition, const PartitionWindows& state) {
  shared_.owned(partition, {index_, state.next_offset(), state.open_windows()});
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  const std::string label = std::to_string(partition);
  metrics.open_windows.Add({{"partition", label}}).Set(static_cast<double>(state.open_windows()));
  metrics.state_entries.Add({{"partition", label}}).Set(static_cast<double>(state.entries()));
}

// A partition this thread no longer owns: its series go, or a sum over partitions would
// count it again under its new owner.
void Worker::forget_partition(std::int32_t partition) {
  owned_.erase(partition);
  changed_.erase(partition);
  closed_since_.erase(partition);
  shared_.released(partition);
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  const std::map<std::string, std::string> labels = {{"partition", std::to_string(partition)}};
  for (auto* family : {&metrics.open_windows, &metrics.state_entries}) {
    family->Remove(&family->Add(labels));
  }
}

}  // namespace sfcrimed::detail
