// A pipeline thread's loop and its records: poll, handle, commit when due.
#include <algorithm>
#include <utility>

#include "sfcrimed/duration.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/pipeline/thread.hpp"
#include "sfcrimed/producer.hpp"

namespace sfcrimed::detail {
namespace {

constexpr std::chrono::milliseconds kPollTimeout = std::chrono::milliseconds(100);

}  // namespace

PipelineThread::PipelineThread(PipelineShared& shared, int index, std::stop_token stop, Health::Part& health,
                               ThreadIo io, Now now)
    : shared_(shared),
      index_(index),
      stop_(std::move(stop)),
      health_(health),
      io_(io),
      now_(std::move(now)),
      probe_(shared.metrics.pipeline, index),
      counts_(shared.latency_bounds),
      clock_(now_()),
      last_commit_(clock_),
      last_emit_(clock_) {}

void PipelineThread::run() {
  try {
    while (!stop_.stop_requested() && !shared_.drain.done()) {
      poll_once();
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

void PipelineThread::poll_once() {
  const Source::Polled polled = io_.source.poll(kPollTimeout, *this);
  try {
    switch (polled.kind) {
      case Source::Polled::Kind::record:
        handle(polled.record);
        break;
      case Source::Polled::Kind::end_of_partition:
        end_of_partition(polled.record.partition, polled.record.offset);
        break;
      case Source::Polled::Kind::nothing:
        check_drain();  // the targets may have been set while this thread had nothing to read
        io_.output.idle();
        break;
    }
  } catch (const kafka::TransactionError& e) {
    if (!e.abortable()) {
      throw;
    }
    rewind(e.what());  // a dead letter or stats message refused: the transaction is lost
  }
  // The clock every 64 records is often enough for a commit interval of 10 ms or more.
  if ((++since_clock_check_ & 63U) == 0 || polled.kind != Source::Polled::Kind::record) {
    clock_ = now_();
    if (std::exchange(handled_since_check_, false)) {
      health_.progressed();
    }
  }
  commit_if_due();
}

void PipelineThread::commit_if_due() {
  const auto& config = shared_.config.pipeline;
  if (clock_ - last_commit_ < config.commit_interval) {
    return;
  }
  close_idle_partitions();
  const bool emit_open = config.emit_interval.count() > 0 && now_() - last_emit_ >= config.emit_interval;
  commit(emit_open ? OpenWindows::changed_only : OpenWindows::none);
  check_drain();
  last_commit_ = clock_ = now_();
}

// A partition with nothing more to read that has had no call for pipeline.idle_timeout
// goes idle: it closes its open windows (their shares go out final) and says so in its
// progress, so that the windows stage does not wait for it. Reading to the end first
// keeps a consumer that is behind (or a broker that is away) from closing windows whose
// calls are still in the topic.
void PipelineThread::close_idle_partitions() {
  const auto timeout = shared_.config.pipeline.idle_timeout;
  if (timeout.count() == 0) {
    return;
  }
  for (auto& [partition, state] : owned_) {
    const auto found = activity_.find(partition);
    if (found == activity_.end() || found->second.idle || !found->second.at_end ||
        clock_ - found->second.last_record < timeout) {
      continue;
    }
    found->second.idle = true;
    if (state.open_windows() == 0) {
      continue;
    }
    state.close_open_windows();
    transaction_.closed_since.emplace(partition, clock_);
    transaction_.changed.insert(partition);
    emit(partition, state, OpenWindows::none);
    log::debug("pipeline", "partition " + std::to_string(partition) + ": no call for " + format_duration(timeout) +
                               ", its open windows are closed");
  }
}

// Drained: every window's counts out. Stopped: committed state is enough to resume.
// Every open window's counts go out with the last commit, drained or stopped ("final":
// false): whatever this thread committed is then in the stats topic, also for a drain of
// another instance that counts these partitions as done from their committed offsets.
void PipelineThread::finish() {
  const bool drained = shared_.drain.done();
  if (!commit(OpenWindows::all) && drained) {
    throw std::runtime_error("the drain's last transaction was aborted; its work is undone, run again to finish");
  }
  io_.source.close(*this);  // revokes (and commits) whatever is left
}

// At the end: offsets past the last record (transaction markers, records removed by
// retention) are read too; the position moves there (committed with the next
// transaction), or its lag would never come down to 0.
void PipelineThread::end_of_partition(std::int32_t partition, std::int64_t end) {
  const auto found = owned_.find(partition);
  if (found == owned_.end()) {
    return;
  }
  // The idle clock starts here: at the first end seen after the partition came to this thread.
  activity_.try_emplace(partition, Activity{clock_, false, false}).first->second.at_end = true;
  if (end > found->second.next_offset()) {
    found->second.set_next_offset(end);
    transaction_.changed.insert(partition);
  }
  shared_.drain.progress(partition, found->second.next_offset());
}

void PipelineThread::handle(const Record& record) {
  const auto found = owned_.find(record.partition);
  if (found == owned_.end() || record.offset < found->second.next_offset()) {
    return;  // not ours (any more), or already applied before a rewind
  }
  PartitionWindows& state = found->second;
  note_first_record();
  handled_since_check_ = true;
  const WallSeconds closed_before = state.closed_through();
  const Outcome outcome = handler_.handle(record.value, state);
  counts_.count(outcome);
  // One lookup per record: this is the hot path.
  auto [activity, first] = activity_.try_emplace(record.partition, Activity{clock_, false, false});
  if (!first) {
    const bool woke = activity->second.idle;
    activity->second = Activity{clock_, false, false};
    if (woke) {
      // Awake again: the windows stage hears it before any share of the new call's window.
      emit_progress(progress(record.partition, state));
    }
  }
  if (outcome == Outcome::malformed) {
    io_.output.dead_letter(record, handler_.reason());
  } else if (outcome == Outcome::late) {
    io_.output.dead_letter(record, kLateReason);  // counted as late, and kept
  } else if (state.closed_through() != closed_before) {
    // Out now, inside the open transaction, rather than all at the commit.
    transaction_.closed_since.emplace(record.partition, now_());
    emit(record.partition, state, OpenWindows::none);
  }
  measure_latency(record);
  state.set_next_offset(record.offset + 1);
  transaction_.changed.insert(record.partition);
  ++transaction_.records;
  shared_.drain.progress(record.partition, state.next_offset());
}

void PipelineThread::note_first_record() {
  if (counts_.consumed == 0 && shared_.consumed == 0) {
    const std::lock_guard lock(shared_.clock_mutex);
    if (!shared_.first_record) {
      shared_.first_record = Clock::now();
    }
  }
}

void PipelineThread::measure_latency(const Record& record) {
  if (!record.timestamp_ms) {
    return;
  }
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  counts_.observe_latency(std::max(0.0, now - static_cast<double>(*record.timestamp_ms) / 1000));
}

void PipelineThread::check_drain() {
  for (const auto& [partition, state] : owned_) {
    shared_.drain.progress(partition, state.next_offset());
  }
}

void PipelineThread::flush_counts() {
  probe_.flush(counts_);
  shared_.consumed += counts_.consumed;
  shared_.malformed += counts_.malformed;
  shared_.duplicates += counts_.duplicate;
  shared_.late += counts_.late;
  counts_.clear();
}

}  // namespace sfcrimed::detail
