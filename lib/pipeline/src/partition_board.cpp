#include "sfcrimed/pipeline/partition_board.hpp"

#include <algorithm>
#include <utility>

namespace sfcrimed::detail {

void PartitionBoard::owned(std::int32_t partition, const Owned& owned) {
  const std::lock_guard lock(mutex_);
  owned_[partition] = owned;
}

void PartitionBoard::released(std::int32_t partition) {
  const std::lock_guard lock(mutex_);
  owned_.erase(partition);
}

void PartitionBoard::set_end_offsets(const std::map<std::int32_t, std::int64_t>& ends) {
  const std::lock_guard lock(mutex_);
  for (const auto& [partition, end] : ends) {
    ends_[partition] = end;
  }
}

void PartitionBoard::set_members(std::map<std::int32_t, std::string> members) {
  const std::lock_guard lock(mutex_);
  members_ = std::move(members);
}

std::vector<PartitionProgress> PartitionBoard::update_lags(int partitions,
                                                           const std::map<std::int32_t, std::int64_t>& committed) {
  const std::lock_guard lock(mutex_);
  std::vector<PartitionProgress> lags;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    PartitionProgress lag{partition, std::nullopt, {}, -1, 0};
    if (const auto member = members_.find(partition); member != members_.end()) {
      lag.member = member->second;
    }
    std::int64_t position = 0;
    if (const auto owner = owned_.find(partition); owner != owned_.end()) {
      lag.owner = owner->second.thread;
      position = owner->second.next_offset;
    } else if (const auto done = committed.find(partition); done != committed.end()) {
      position = done->second;
    }
    if (const auto end = ends_.find(partition); end != ends_.end()) {
      lag.end = end->second;
      lag.lag = std::max<std::int64_t>(0, end->second - position);
    }
    lags.push_back(lag);
  }
  lags_ = lags;
  return lags;
}

std::vector<PartitionProgress> PartitionBoard::lags() const {
  const std::lock_guard lock(mutex_);
  return lags_;
}

std::vector<std::int32_t> PartitionBoard::unowned(int partitions) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::int32_t> unowned;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    if (!owned_.contains(partition)) {
      unowned.push_back(partition);
    }
  }
  return unowned;
}

std::int64_t PartitionBoard::end_sum() const {
  const std::lock_guard lock(mutex_);
  if (ends_.empty()) {
    return -1;
  }
  std::int64_t sum = 0;
  for (const auto& [partition, end] : ends_) {
    sum += end;
  }
  return sum;
}

std::size_t PartitionBoard::open_windows() const {
  const std::lock_guard lock(mutex_);
  std::size_t open = 0;
  for (const auto& [partition, owned] : owned_) {
    open += owned.open_windows;
  }
  return open;
}

}  // namespace sfcrimed::detail
