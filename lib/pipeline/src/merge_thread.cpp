// The windows stage's loop: the stats topic's messages merged per window, written to the
// windows topic with this group's offsets in one transaction per commit interval.
#include "sfcrimed/pipeline/merge_thread.hpp"

#include <algorithm>
#include <utility>

#include "sfcrimed/log.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/window_log.hpp"

namespace sfcrimed::detail {
namespace {

constexpr std::chrono::milliseconds kPollTimeout = std::chrono::milliseconds(100);

}  // namespace

MergeThread::MergeThread(PipelineShared& shared, std::stop_token stop, const std::atomic<bool>& inputs_done,
                         Health::Part& health, MergeIo io, Now now)
    : shared_(shared),
      stop_(std::move(stop)),
      inputs_done_(inputs_done),
      health_(health),
      io_(io),
      now_(std::move(now)),
      last_commit_(now_()) {}

void MergeThread::run() {
  try {
    while (!stop_.stop_requested() && !inputs_done_.load(std::memory_order_acquire)) {
      poll_once();
    }
    finish();
  } catch (const kafka::Interrupted& e) {
    log::notice("pipeline", std::string("windows stage: ") + e.what() +
                                "; what it merged since its last commit is merged again by the next run");
  }
}

void MergeThread::poll_once() {
  const Source::Polled polled = io_.source.poll(kPollTimeout, *this);
  try {
    if (polled.kind == Source::Polled::Kind::record) {
      handle(polled.record);
    } else if (polled.kind == Source::Polled::Kind::end_of_partition) {
      if (const auto found = next_.find(polled.record.partition);
          found != next_.end() && polled.record.offset > found->second) {
        found->second = polled.record.offset;  // past transaction markers: committed with the next transaction
        changed_ = true;
      }
    } else {
      io_.output.idle();
    }
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());
  }
  commit_if_due();
}

void MergeThread::handle(const Record& record) {
  const auto found = merges_.find(record.partition);
  if (found == merges_.end() || record.offset < next_.at(record.partition)) {
    return;  // not ours (any more), or merged before a rewind
  }
  std::string why;
  if (!found->second.add(record.key, record.value, why, true, record.timestamp_ms.value_or(0))) {
    if (why == kOldStatsFormat) {
      throw OldStatsFormat(old_stats_format(shared_.stats, record.partition, record.offset));
    }
    log::warning("pipeline", "windows stage: message " + std::to_string(record.offset) + " of " + shared_.stats + " [" +
                                 std::to_string(record.partition) +
                                 "] is neither a share nor a progress "
                                 "message (" +
                                 why + "); it is left out of the windows");
  }
  next_[record.partition] = record.offset + 1;
  changed_ = true;
  health_.progressed();
}

void MergeThread::commit_if_due() {
  if (now_() - last_commit_ < shared_.config.pipeline.commit_interval) {
    return;
  }
  commit();
  last_commit_ = now_();
}

// True when what was merged is committed (or there was nothing); false when the
// transaction was aborted and the thread went back to its last commit.
bool MergeThread::commit() {
  if (!changed_) {
    return true;
  }
  std::vector<std::string> final_lines;
  std::vector<std::int64_t> final_since_ms;
  Written written;
  try {
    for (auto& [partition, merge] : merges_) {
      for (const auto& window : merge.take_changed()) {
        io_.output.stats(kAnyPartition, window.key, window.value);
        (window.final ? written.final : written.open) += 1;
        written.bytes += window.key.size() + window.value.size();
        if (window.became_final) {
          final_lines.push_back(window_line(window.counts));
          final_since_ms.push_back(window.final_since_ms);
        }
      }
    }
    io_.output.commit(next_);
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());
    return false;
  }
  changed_ = false;
  committed(written, final_since_ms);
  for (const auto& line : final_lines) {
    log::info("window", line);
  }
  return true;
}

// Committed: the metrics. A window made final is timed from the Kafka timestamp of the
// message that made it so (its partition closing it) to now.
void MergeThread::committed(const Written& written, const std::vector<std::int64_t>& final_since_ms) {
  health_.progressed();
  windows_written_ += written.final + written.open;
  auto& metrics = shared_.metrics.pipeline;
  metrics.windows_written_final.Increment(static_cast<double>(written.final));
  metrics.windows_written_open.Increment(static_cast<double>(written.open));
  metrics.windows_bytes.Increment(static_cast<double>(written.bytes));
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const auto since : final_since_ms) {
    if (since > 0) {
      metrics.window_final_latency.Observe(static_cast<double>(std::max<std::int64_t>(0, now_ms - since)) / 1000);
    }
  }
}

// Back to the last commit: every owned partition rebuilt, and read on from there.
void MergeThread::rewind(const std::string& why) {
  log::warning("pipeline", "windows stage: " + why + "; aborting the transaction and resuming from the last commit");
  io_.output.abort();
  std::vector<std::int32_t> partitions;
  partitions.reserve(merges_.size());
  for (const auto& [partition, merge] : merges_) {
    partitions.push_back(partition);
  }
  merges_.clear();
  next_.clear();
  for (const auto& [partition, start] : assigned(partitions)) {
    io_.source.seek(partition, start);
  }
}

// After a drain, the stats topic holds every share the consumer threads committed, and
// every partition of it must be merged to its end: those this thread owns (once the group
// has said which) it reads; the others must have been committed that far by the windows
// group's other members, or come to this thread when a member that left is dropped from
// the group (a static member's session ends). Waits at most kafka.unavailable_timeout.
void MergeThread::read_to_ends() {
  const auto deadline = now_() + shared_.config.kafka.unavailable_timeout;
  std::vector<std::int32_t> all;
  all.reserve(static_cast<std::size_t>(std::max(0, shared_.stats_partitions)));
  for (std::int32_t partition = 0; partition < shared_.stats_partitions; ++partition) {
    all.push_back(partition);
  }
  const auto ends = io_.store.ends(all);
  auto last_asked = now_() - std::chrono::seconds(1);
  while (!stop_.stop_requested()) {
    const bool read_here = assigned_once_ && std::all_of(next_.begin(), next_.end(), [&](const auto& next) {
                             const auto end = ends.find(next.first);
                             return end == ends.end() || next.second >= end->second;
                           });
    if (read_here && now_() - last_asked >= std::chrono::seconds(1)) {
      last_asked = now_();
      if (others_done(ends)) {
        return;
      }
    }
    if (now_() > deadline) {
      throw kafka::Unavailable("the windows stage could not merge " + shared_.stats +
                               " to its end within "
                               "kafka.unavailable_timeout: partitions of it are held by a member of group " +
                               windows_group(shared_.config) + " that neither commits them nor leaves");
    }
    poll_once();
  }
}

// Whether every partition this thread does not own has been committed to its end by
// another member of the windows group.
bool MergeThread::others_done(const std::map<std::int32_t, std::int64_t>& ends) {
  std::vector<std::int32_t> others;
  for (const auto& [partition, end] : ends) {
    if (!next_.contains(partition)) {
      others.push_back(partition);
    }
  }
  if (others.empty()) {
    return true;
  }
  const auto committed = io_.store.committed(others);
  return std::all_of(others.begin(), others.end(), [&](std::int32_t partition) {
    const auto found = committed.find(partition);
    return ends.at(partition) == 0 || (found != committed.end() && found->second >= ends.at(partition));
  });
}

void MergeThread::finish() {
  if (!stop_.stop_requested() && shared_.drain.done()) {
    read_to_ends();
  }
  if (!commit() && shared_.drain.done()) {
    throw std::runtime_error("the windows stage's last transaction was aborted; run again to finish the drain");
  }
  io_.source.close(*this);
}

std::map<std::int32_t, std::int64_t> MergeThread::assigned(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::int64_t> starts;
  std::string where;
  assigned_once_ = true;
  for (auto& [partition, rebuilt] : io_.store.load(partitions)) {
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + "@" + std::to_string(rebuilt.next_offset);
    starts.emplace(partition, rebuilt.next_offset > 0 ? rebuilt.next_offset : kFromBeginning);
    next_.insert_or_assign(partition, rebuilt.next_offset);
    merges_.insert_or_assign(partition, std::move(rebuilt.merge));
    changed_ = true;  // what came after the committed offset is to be written again
  }
  log::info("pipeline", std::string("windows stage") + (io_.source.incremental() ? " adds " : " owns ") +
                            (where.empty() ? "no partition" : where) + " of " + shared_.stats);
  return starts;
}

// Revoked: what was merged is committed first. Lost: nothing of it can be committed any
// more (nothing is written before a commit, so the open transaction is empty); the new
// owner merges it again.
void MergeThread::revoked(const std::vector<std::int32_t>& partitions, bool lost) {
  if (!lost) {
    commit();
  }
  for (const auto partition : partitions) {
    forget(partition);
  }
  log::info("pipeline",
            "windows stage released " + std::to_string(partitions.size()) + " partitions of " + shared_.stats);
}

void MergeThread::forget(std::int32_t partition) {
  merges_.erase(partition);
  next_.erase(partition);
}

}  // namespace sfcrimed::detail
