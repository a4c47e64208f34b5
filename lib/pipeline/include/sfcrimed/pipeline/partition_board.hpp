#pragma once
// Every partition of the calls topic as this process sees it: which thread owns it and
// how far its committed state goes, its end offset as the monitor last read it, and so
// its lag, owned or not. Thread-safe: the consumer threads tell what they own, the
// monitor the end offsets, the progress line and /metrics read.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sfcrimed/pipeline.hpp"

namespace sfcrimed::detail {

class PartitionBoard {
 public:
  struct Owned {
    int thread = 0;
    std::int64_t next_offset = 0;  // as of its owner's last commit
    std::size_t open_windows = 0;
  };
  void owned(std::int32_t partition, const Owned& owned);
  void released(std::int32_t partition);
  // Each partition's end offset, as the monitor last read it.
  void set_end_offsets(const std::map<std::int32_t, std::int64_t>& ends);
  // Which member of the group owns each partition (<instance>.<thread>), as the group's
  // coordinator last described it; a partition left out has none.
  void set_members(std::map<std::int32_t, std::string> members);

  // Works out the lags of partitions 0 to `partitions` - 1 from the end offsets read and
  // the owners' positions; for a partition no thread here owns, from what the group last
  // committed (`committed`). Kept for lags().
  std::vector<PartitionProgress> update_lags(int partitions, const std::map<std::int32_t, std::int64_t>& committed);
  [[nodiscard]] std::vector<PartitionProgress> lags() const;  // as update_lags() last worked them out
  // The partitions no thread of this process owns (other instances may).
  [[nodiscard]] std::vector<std::int32_t> unowned(int partitions) const;
  [[nodiscard]] std::int64_t end_sum() const;  // -1 before the first reading
  [[nodiscard]] std::size_t open_windows() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::int32_t, Owned> owned_;
  std::map<std::int32_t, std::int64_t> ends_;
  std::map<std::int32_t, std::string> members_;
  std::vector<PartitionProgress> lags_;
};

}  // namespace sfcrimed::detail
