#pragma once
// The windows stage: one thread per instance, a member of the group
// <pipeline.group>.windows reading the stats topic (read_committed). Each partition of
// the stats topic holds every share of its windows and every calls partition's progress
// (stats_topic.hpp), so whoever owns it merges those windows alone: one WindowMerge per
// owned partition. Every commit interval the windows changed go to the windows topic,
// one message each, in a transaction that also commits this group's offsets in the stats
// topic; a partition given to this thread is rebuilt from the stats topic up to the
// committed offset (MergeStore), and what comes after is merged and written again. So the
// windows topic is exact under whatever the first stage is exact under: a crash, a
// rebalance, another instance taking over. docs/pipeline.md tells the design.
// Not thread-safe: run() is the thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <vector>

#include "sfcrimed/health.hpp"
#include "sfcrimed/pipeline/io.hpp"
#include "sfcrimed/pipeline/shared.hpp"
#include "sfcrimed/window_merge.hpp"

namespace sfcrimed::detail {

// Where an owned partition's merge is rebuilt from: the stats topic itself.
class MergeStore {
 public:
  virtual ~MergeStore() = default;
  struct Rebuilt {
    WindowMerge merge;
    std::int64_t next_offset = 0;  // where to read on: past everything read
  };
  // Each of `partitions` of the stats topic read to its end: what is before the windows
  // group's committed offset is state (its merged windows are out already), what is at or
  // after it is to be written again.
  virtual std::map<std::int32_t, Rebuilt> load(const std::vector<std::int32_t>& partitions) = 0;
  // Each of `partitions`' end offset now.
  virtual std::map<std::int32_t, std::int64_t> ends(const std::vector<std::int32_t>& partitions) = 0;
  // What the windows group has committed for each of `partitions` (those it has).
  virtual std::map<std::int32_t, std::int64_t> committed(const std::vector<std::int32_t>& partitions) = 0;
};

// The merge thread's I/O: its Source reads the stats topic, its output's stats() writes
// the windows topic.
struct MergeIo {
  Source& source;
  TransactionalOutput& output;
  MergeStore& store;
};

class MergeThread final : private RebalanceListener {
 public:
  using Now = std::function<Clock::time_point()>;

  // `inputs_done`: the consumer threads have ended (set by the caller), so that a drain
  // reads the stats topic to its end before the thread ends.
  MergeThread(PipelineShared& shared, std::stop_token stop, const std::atomic<bool>& inputs_done, Health::Part& health,
              MergeIo io, Now now = Clock::now);

  // Merges until stopped or the inputs are done; after a drain, reads every owned
  // partition to its end first; then commits and leaves the group. Throws on a fatal
  // error, and on a stats topic of the old format (OldStatsFormat).
  void run();
  void poll_once();
  // Commits what is merged and leaves the group; after a drain, reads to the ends first.
  void finish();

  [[nodiscard]] std::size_t windows_written() const { return windows_written_; }

 private:
  std::map<std::int32_t, std::int64_t> assigned(const std::vector<std::int32_t>& partitions) override;
  void revoked(const std::vector<std::int32_t>& partitions, bool lost) override;

  // What one commit wrote to the windows topic.
  struct Written {
    std::uint64_t final = 0;
    std::uint64_t open = 0;
    std::uint64_t bytes = 0;
  };

  void handle(const Record& record);
  void commit_if_due();
  bool commit();
  void committed(const Written& written, const std::vector<std::int64_t>& final_since_ms);
  void rewind(const std::string& why);
  void read_to_ends();
  [[nodiscard]] bool others_done(const std::map<std::int32_t, std::int64_t>& ends);
  void forget(std::int32_t partition);

  PipelineShared& shared_;
  const std::stop_token stop_;
  const std::atomic<bool>& inputs_done_;
  Health::Part& health_;
  MergeIo io_;
  const Now now_;
  std::map<std::int32_t, WindowMerge> merges_;  // by owned stats partition
  std::map<std::int32_t, std::int64_t> next_;   // each owned partition's next offset
  bool changed_ = false;                        // read something since the last commit
  bool assigned_once_ = false;                  // the group has given this thread its first assignment
  std::map<WallSeconds, bool> written_final_;   // this transaction's windows: final or not
  std::size_t windows_written_ = 0;
  Clock::time_point last_commit_;
};

}  // namespace sfcrimed::detail
