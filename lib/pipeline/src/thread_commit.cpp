// A pipeline thread's transactions: each commits its stats messages, dead letters, state
// snapshots and consumer offsets together (TransactionalOutput), so that a crash at any
// moment loses and doubles nothing. A transaction the output could not commit is undone
// here too (rewind), and its records read again.
#include <algorithm>
#include <utility>

#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/thread.hpp"
#include "sfcrimed/producer.hpp"

namespace sfcrimed::detail {

// True when what was done since the last commit is committed (or there was nothing);
// false when the transaction had to be aborted and the thread rewound to the last commit.
bool PipelineThread::commit(OpenWindows open) {
  if (transaction_.changed.empty() && (open != OpenWindows::all || owned_.empty()) && !progress_due()) {
    return true;  // nothing new: no empty transactions
  }
  std::map<std::int32_t, std::int64_t> offsets;
  try {
    for (const auto& [partition, state] : owned_) {
      if (progress_changed(partition, state)) {
        emit_progress(progress(partition, state));
      }
    }
    for (auto& [partition, state] : owned_) {
      offsets.emplace(partition, state.next_offset());
      if (transaction_.changed.contains(partition) || open == OpenWindows::all) {
        emit(partition, state, open);
        const std::string snapshot = state.snapshot();
        io_.output.snapshot(partition, snapshot);
        transaction_.state_bytes += snapshot.size();
      }
    }
    io_.output.commit(offsets);
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());
    return false;
  }
  health_.progressed();
  committed(open);
  return true;
}

// Committed: now it may be told (log, report, listeners, metrics).
void PipelineThread::committed(OpenWindows open) {
  const auto now = now_();
  std::set<WallSeconds> closed_windows;
  for (const auto partition : transaction_.changed) {
    for (const auto& entry : transaction_.final_entries[partition]) {
      closed_windows.insert(entry.window_start);
    }
  }
  {
    const std::lock_guard lock(shared_.windows_mutex);
    shared_.windows_emitted.insert(transaction_.windows.begin(), transaction_.windows.end());
  }
  if (shared_.stats_listener && !transaction_.entries.empty()) {
    shared_.stats_listener(transaction_.entries);
  }
  probe_.committed(transaction_, closed_windows.size(), now);
  transaction_.clear();
  last_emit_ = open == OpenWindows::none ? last_emit_ : now;
  for (const auto& [partition, state] : owned_) {
    publish(partition, state);
  }
  flush_counts();
}

// Back to the last committed state: the transaction aborted, what it did forgotten
// (counts included: its records will be read again), the snapshots reloaded, and every
// owned partition read on from there.
void PipelineThread::rewind(const std::string& why) {
  log::warning("pipeline", why + "; aborting the transaction and resuming from the last commit");
  probe_.aborted();
  io_.output.abort();
  transaction_.clear();
  progress_written_.clear();
  counts_.clear();
  std::vector<std::int32_t> partitions;
  partitions.reserve(owned_.size());
  for (const auto& [partition, state] : owned_) {
    partitions.push_back(partition);
    shared_.drain.rewound(partition);
  }
  for (auto& [partition, state] : load_committed(partitions)) {
    owned_.insert_or_assign(partition, std::move(state));
  }
  for (const auto& [partition, state] : owned_) {
    io_.source.seek(partition, state.next_offset() > 0 ? state.next_offset() : kFromBeginning);
    publish(partition, state);
  }
}

// Produces the stats messages `state` has due into the open transaction; what they tell
// the log and the report waits for the commit.
void PipelineThread::emit(std::int32_t partition, PartitionWindows& state, OpenWindows open) {
  auto entries = state.take_emissions(open, shared_.codes);
  for_each_share(entries, [&](std::span<const StatsEntry> share) {
    const std::string key = share_key(share.front().window_start, partition);
    const std::string value = share_value(share);
    io_.output.stats(share_partition(share.front().window_start, shared_.stats_partitions), key, value);
    ++transaction_.stats_messages;
    transaction_.stats_bytes += key.size() + value.size();
  });
  transaction_.emitted(partition, std::move(entries), static_cast<bool>(shared_.stats_listener));
}

PartitionClosure PipelineThread::progress(std::int32_t partition, const PartitionWindows& state) const {
  const auto found = activity_.find(partition);
  return {partition, state.closed_through(), found != activity_.end() && found->second.idle};
}

bool PipelineThread::progress_changed(std::int32_t partition, const PartitionWindows& state) const {
  const auto written = progress_written_.find(partition);
  return written == progress_written_.end() || written->second != progress(partition, state);
}

bool PipelineThread::progress_due() const {
  return std::any_of(owned_.begin(), owned_.end(),
                     [&](const auto& owned) { return progress_changed(owned.first, owned.second); });
}

// A partition's progress goes to every partition of the stats topic: each holds windows
// this partition may have calls for.
void PipelineThread::emit_progress(const PartitionClosure& progress) {
  const std::string key = progress_key(progress.partition);
  const std::string value = progress_value(progress);
  for (std::int32_t stats_partition = 0; stats_partition < shared_.stats_partitions; ++stats_partition) {
    io_.output.stats(stats_partition, key, value);
    ++transaction_.stats_messages;
    transaction_.stats_bytes += key.size() + value.size();
  }
  progress_written_.insert_or_assign(progress.partition, progress);
}

}  // namespace sfcrimed::detail
