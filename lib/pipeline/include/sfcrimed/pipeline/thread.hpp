#pragma once
// One consumer thread of the pipeline, made of parts: it polls its Source (a member of
// the group), hands each record to the RecordHandler, writes what comes of it into its
// TransactionalOutput, and commits when its clock says the commit interval is up; its
// partitions come and go with the group's rebalances, each restored from the StateStore.
// docs/pipeline.md tells the design. Not thread-safe: run() is the thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "sfcrimed/health.hpp"
#include "sfcrimed/pipeline/io.hpp"
#include "sfcrimed/pipeline/open_transaction.hpp"
#include "sfcrimed/pipeline/probe.hpp"
#include "sfcrimed/pipeline/record_handler.hpp"
#include "sfcrimed/pipeline/shared.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

// The I/O a pipeline thread works with (io.hpp); kafka_io.hpp's, or a test's fakes.
struct ThreadIo {
  Source& source;
  TransactionalOutput& output;
  StateStore& store;
};

class PipelineThread final : private RebalanceListener {
 public:
  using Now = std::function<Clock::time_point()>;

  // `stop`: when to stop (the caller's: a signal, or another thread's failure). It
  // tells `health` of its progress; `now` is its clock (commit and emit intervals).
  PipelineThread(PipelineShared& shared, int index, std::stop_token stop, Health::Part& health, ThreadIo io,
                 Now now = Clock::now);

  // Consumes until stopped or drained; its work is then committed. Throws on a fatal error.
  void run();
  // One step of run(): a record (or nothing) polled and handled, and a commit if due.
  void poll_once();
  // Ends as run() does: what is done is committed, with every open window's counts, and
  // the thread leaves the group.
  void finish();

 private:
  using OpenWindows = PartitionWindows::OpenWindows;

  std::map<std::int32_t, std::int64_t> assigned(const std::vector<std::int32_t>& partitions) override;
  void revoked(const std::vector<std::int32_t>& partitions, bool lost) override;

  // The committed state of `partitions`, read until it is as recent as the group's
  // committed offsets say (thread_partitions.cpp tells why).
  std::map<std::int32_t, PartitionWindows> load_committed(const std::vector<std::int32_t>& partitions);
  void handle(const Record& record);
  void end_of_partition(std::int32_t partition, std::int64_t end);
  void measure_latency(const Record& record);
  void commit_if_due();
  void close_idle_partitions();
  bool commit(OpenWindows open);
  void committed(OpenWindows open);
  void emit(std::int32_t partition, PartitionWindows& state, OpenWindows open);
  [[nodiscard]] PartitionClosure progress(std::int32_t partition, const PartitionWindows& state) const;
  // Whether `partition`'s progress differs from the one last written (or none was).
  [[nodiscard]] bool progress_changed(std::int32_t partition, const PartitionWindows& state) const;
  [[nodiscard]] bool progress_due() const;
  void emit_progress(const PartitionClosure& progress);
  void rewind(const std::string& why);
  void publish(std::int32_t partition, const PartitionWindows& state);
  void forget_partition(std::int32_t partition);
  void flush_counts();
  void check_drain();
  void note_first_record();

  PipelineShared& shared_;
  const int index_;
  const std::stop_token stop_;
  Health::Part& health_;
  ThreadIo io_;
  const Now now_;
  PipelineProbe probe_;
  RecordHandler handler_;
  LocalCounts counts_;
  std::map<std::int32_t, PartitionWindows> owned_;
  // Per owned partition: when its last record came, and whether it has read to its end
  // since (pipeline.idle_timeout).
  struct Activity {
    Clock::time_point last_record;
    bool at_end = false;
    bool idle = false;  // closed for pipeline.idle_timeout, until its next call
  };
  std::map<std::int32_t, Activity> activity_;
  // Per owned partition: the progress message last written (the windows stage's input);
  // forgotten when a transaction aborts, so that it is written again.
  std::map<std::int32_t, PartitionClosure> progress_written_;
  OpenTransaction transaction_;
  bool assigned_once_ = false;
  bool said_idle_ = false;  // "owns no partition": more members than partitions, said once
  bool handled_since_check_ = false;
  unsigned since_clock_check_ = 0;
  Clock::time_point clock_;  // now_() as last read (every 64 records, or when idle)
  Clock::time_point last_commit_;
  Clock::time_point last_emit_;
};

}  // namespace sfcrimed::detail
