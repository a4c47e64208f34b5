// A pipeline thread's partitions: the group's rebalances give and take them (eagerly, all
// at once, with the classic protocol; incrementally with KIP-848's or a cooperative
// assignor), and each one given is restored from its last committed state.
#include <utility>

#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/thread.hpp"

namespace sfcrimed::detail {
namespace {

std::string partition_list(const std::vector<std::int32_t>& partitions) {
  std::string list;
  for (const auto partition : partitions) {
    list += (list.empty() ? "p" : ", p") + std::to_string(partition);
  }
  return list.empty() ? "no partition" : list;
}

}  // namespace

// Loads the committed state of `partitions` (a fresh one where there is none yet); each
// is read on from its next offset.
std::map<std::int32_t, std::int64_t> PipelineThread::assigned(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::int64_t> starts;
  std::string where;
  for (auto& [partition, state] : io_.store.load(partitions)) {
    starts.emplace(partition, state.next_offset() > 0 ? state.next_offset() : kFromBeginning);
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + "@" + std::to_string(state.next_offset());
    publish(partition, state);
    owned_.insert_or_assign(partition, std::move(state));
    transaction_.changed.erase(partition);
  }
  log::info("pipeline", "thread " + std::to_string(index_) + (io_.source.incremental() ? " adds " : " owns ") +
                            (where.empty() ? "no partition" : where) + " (from the committed state)");
  if (!assigned_once_) {
    assigned_once_ = true;
    shared_.threads_assigned.fetch_add(1, std::memory_order_release);
  }
  if (owned_.empty() && !std::exchange(said_idle_, true)) {
    log::notice("pipeline", "thread " + std::to_string(index_) + " owns no partition: the group's members (the " +
                                "threads of every instance) outnumber the " + std::to_string(shared_.partitions) +
                                " partitions of " + shared_.config.kafka.topic +
                                "; it stays idle, ready to take over a partition (said once)");
  }
  check_drain();
  return starts;
}

// Revoked: commit what was done with them, then let them go. Lost (the group gave them
// to another member while this one could not be reached): what was done since the last
// commit cannot be committed any more; it is undone, for the new owner does it again.
void PipelineThread::revoked(const std::vector<std::int32_t>& partitions, bool lost) {
  if (lost) {
    log::warning("pipeline", "thread " + std::to_string(index_) + " lost " + partition_list(partitions) +
                                 " to the group (its session ended); their uncommitted work is left to the new owner");
    // The open transaction may hold their stats and dead letters: it is aborted whole, and
    // the partitions kept go back to their last commit too.
    const bool open_transaction = transaction_.holds_work();
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
  log::info("pipeline", "thread " + std::to_string(index_) + " released " + partition_list(partitions));
}

// What the monitor and /metrics know of an owned partition.
void PipelineThread::publish(std::int32_t partition, const PartitionWindows& state) {
  shared_.board.owned(partition, {index_, state.next_offset(), state.open_windows()});
  probe_.partition(partition, state.open_windows(), state.entries());
}

void PipelineThread::forget_partition(std::int32_t partition) {
  owned_.erase(partition);
  activity_.erase(partition);
  progress_written_.erase(partition);
  transaction_.forget_partition(partition);
  shared_.board.released(partition);
  probe_.forget_partition(partition);
}

}  // namespace sfcrimed::detail
