// A pipeline thread's partitions: the group's rebalances give and take them (eagerly, all
// at once, with the classic protocol; incrementally with KIP-848's or a cooperative
// assignor), and each one given is restored from its last committed state.
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "sfcrimed/duration.hpp"
#include "sfcrimed/kafka_retry.hpp"
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

// How long a state read may lag the group's committed offsets before the thread goes on
// with it, and how often it is read again meanwhile.
constexpr std::chrono::seconds kStateCatchUp{30};
constexpr std::chrono::milliseconds kStateRetryPause{100};

// The first of `loaded` whose state is older than the offset the group committed for it.
std::optional<std::int32_t> behind(const std::map<std::int32_t, PartitionWindows>& loaded,
                                   const std::map<std::int32_t, std::int64_t>& committed) {
  for (const auto& [partition, state] : loaded) {
    if (const auto found = committed.find(partition); found != committed.end() && found->second > state.next_offset()) {
      return partition;
    }
  }
  return std::nullopt;
}

}  // namespace

// The state topic is read up to its last stable offset, and a transaction's commit
// returns to its producer before its markers are in every partition: a partition handed
// over right after its previous owner committed (or this thread's own last commit, when
// it rewinds) could be read without that commit's snapshot, and its records would be
// done again (their dead letters written twice). The group's offsets, committed in the
// same transaction and read as stable, say how far the state must be: it is read again
// until it is there, for kStateCatchUp at most (then from where it is, with a warning).
std::map<std::int32_t, PartitionWindows> PipelineThread::load_committed(const std::vector<std::int32_t>& partitions) {
  if (partitions.empty()) {
    return {};
  }
  const auto give_up = std::chrono::steady_clock::now() + kStateCatchUp;
  std::optional<std::map<std::int32_t, std::int64_t>> committed;
  std::string unknown;  // why the group's offsets could not be read
  int reads = 0;
  for (;;) {
    if (!committed) {
      try {
        committed = io_.source.committed(partitions);
      } catch (const kafka::TransientError& e) {
        unknown = e.what();
      } catch (const std::runtime_error& e) {
        // Seen as "broker handle destroyed" while the group rebalanced again: the state as
        // read, as before the group's offsets were asked.
        log::info("pipeline", "thread " + std::to_string(index_) + ": the group's committed offsets were not read (" +
                                  e.what() + "); the state is taken as the state topic has it");
        return io_.store.load(partitions);
      }
    }
    auto loaded = io_.store.load(partitions);
    ++reads;
    const auto late = committed ? behind(loaded, *committed) : std::nullopt;
    if (committed && !late) {
      if (reads > 1) {
        log::info("pipeline", "thread " + std::to_string(index_) + ": the state topic had the last commit's " +
                                  "snapshots at read " + std::to_string(reads) + " (its markers were on their way)");
      }
      return loaded;
    }
    if (std::chrono::steady_clock::now() >= give_up || stop_.stop_requested()) {
      const std::string why = late ? "the state of p" + std::to_string(*late) + " is at offset " +
                                         std::to_string(loaded.at(*late).next_offset()) + " but the group committed " +
                                         std::to_string(committed->at(*late))
                                   : "the group's committed offsets are unknown (" + unknown + ")";
      log::warning("pipeline", "thread " + std::to_string(index_) + ": " + why + " after " +
                                   format_duration(kStateCatchUp) +
                                   "; it goes on from the state it read (records after it are done again)");
      return loaded;
    }
    std::this_thread::sleep_for(kStateRetryPause);
  }
}

// Loads the committed state of `partitions` (a fresh one where there is none yet); each
// is read on from its next offset.
std::map<std::int32_t, std::int64_t> PipelineThread::assigned(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::int64_t> starts;
  std::string where;
  for (auto& [partition, state] : load_committed(partitions)) {
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
