#include "sfcrimed/window_merge.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace sfcrimed {

WindowMerge::WindowMerge(std::int32_t calls_partitions) : calls_partitions_(calls_partitions) {}

bool WindowMerge::add(std::string_view key, std::string_view value, std::string& why, bool announce,
                      std::int64_t written_ms) {
  if (is_progress_key(key)) {
    auto progress = parse_progress_value(value, why);
    if (progress && key != progress_key(progress->partition)) {
      why = "the key is not the value's key " + progress_key(progress->partition);
      return false;
    }
    if (progress) {
      progress_.insert_or_assign(progress->partition, *progress);
      close_windows(announce, written_ms);
    }
    return progress.has_value();
  }
  if (value.empty()) {
    forget_share(key, announce);
    return true;
  }
  auto share = parse_share_value(value, why);
  if (!share) {
    return false;
  }
  if (auto expected = share_key(share->front().window_start, share->front().partition); key != expected) {
    why = "the key is not the value's key " + expected;
    return false;
  }
  add_share(std::move(*share), announce, written_ms);
  return true;
}

void WindowMerge::add_share(std::vector<StatsEntry> share, bool announce, std::int64_t written_ms) {
  const WallSeconds start = share.front().window_start;
  auto [found, inserted] = windows_.try_emplace(start);
  Window& window = found->second;
  if (inserted) {
    window.end = share.front().window_end;
    window.final = window.end <= closed_by_all();
    if (!window.final) {
      open_.insert(start);
    } else if (announce) {
      became_final_.emplace(start, written_ms);
    }
  }
  window.shares.insert_or_assign(share.front().partition, std::move(share));
  if (announce) {
    changed_.insert(start);
  }
}

// A tombstone for a share (nothing the pipeline writes, but compaction's word is final).
void WindowMerge::forget_share(std::string_view key, bool announce) {
  for (auto& [start, window] : windows_) {
    for (auto it = window.shares.begin(); it != window.shares.end(); ++it) {
      if (share_key(start, it->first) == key) {
        window.shares.erase(it);
        if (announce) {
          changed_.insert(start);
        }
        return;
      }
    }
  }
}

WallSeconds WindowMerge::closed_by_all() const {
  WallSeconds closed = std::numeric_limits<WallSeconds>::max();
  for (std::int32_t partition = 0; partition < calls_partitions_; ++partition) {
    const auto found = progress_.find(partition);
    if (found == progress_.end()) {
      return PartitionClosure::kNothingClosed;  // not heard of yet: it may hold any window
    }
    if (!found->second.idle) {
      closed = std::min(closed, found->second.closed_through);
    }
  }
  return closed;
}

void WindowMerge::close_windows(bool announce, std::int64_t written_ms) {
  const WallSeconds closed = closed_by_all();
  while (!open_.empty()) {
    Window& window = windows_.at(*open_.begin());
    if (window.end > closed) {
      break;
    }
    window.final = true;
    if (announce) {
      changed_.insert(*open_.begin());
      became_final_.emplace(*open_.begin(), written_ms);
    }
    open_.erase(open_.begin());
  }
}

std::vector<StatsEntry> WindowMerge::merged(WallSeconds start, const Window& window) {
  std::map<std::pair<StatsMetric, std::string_view>, StatsEntry> sums;
  for (const auto& [partition, share] : window.shares) {
    for (const auto& entry : share) {
      auto [found, inserted] = sums.try_emplace({entry.metric, entry.name}, entry);
      if (!inserted) {
        found->second.count += entry.count;
      }
    }
  }
  std::vector<StatsEntry> entries;
  entries.reserve(sums.size());
  for (auto& [name, entry] : sums) {
    entry.window_start = start;
    entry.window_end = window.end;
    entry.partition = 0;
    entry.final = window.final;
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<WindowMerge::Merged> WindowMerge::take_changed() {
  std::vector<Merged> out;
  out.reserve(changed_.size());
  for (const WallSeconds start : changed_) {
    const Window& window = windows_.at(start);
    auto entries = merged(start, window);
    if (entries.empty()) {
      continue;  // every share of it was removed: there is no count to write
    }
    std::string value = window_value(entries);
    const auto became_final = became_final_.find(start);
    out.push_back({start, window.final, became_final != became_final_.end(),
                   became_final != became_final_.end() ? became_final->second : 0, std::move(entries),
                   window_key(start), std::move(value)});
  }
  changed_.clear();
  became_final_.clear();
  return out;
}

}  // namespace sfcrimed
