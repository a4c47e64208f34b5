#include "sfcrimed/window_log.hpp"

#include <algorithm>
#include <numeric>

#include "sfcrimed/window_state.hpp"

namespace sfcrimed {

WindowLog::WindowLog(int partitions, std::size_t top)
    : closed_through_(static_cast<std::size_t>(partitions), PartitionWindows::kNever), top_(top) {}

std::vector<std::string> WindowLog::report(std::int32_t partition, WallSeconds closed_through,
                                           const std::vector<StatsEntry>& entries) {
  const std::lock_guard lock(mutex_);
  if (partition < 0 || static_cast<std::size_t>(partition) >= closed_through_.size()) {
    return {};
  }
  auto& mine = closed_through_[static_cast<std::size_t>(partition)];
  mine = std::max(mine, closed_through);
  for (const auto& entry : entries) {
    if (!entry.final) {
      continue;
    }
    Window& window = pending_[entry.window_start];
    window.end = entry.window_end;
    if (entry.metric == StatsMetric::crime_type) {
      window.crime_types[entry.name] += entry.count;
    } else {
      auto& disposition = window.dispositions[entry.name];
      disposition.first += entry.count;
      disposition.second = entry.description.value_or("");
    }
  }
  const WallSeconds everywhere = *std::min_element(closed_through_.begin(), closed_through_.end());
  std::vector<std::string> lines;
  while (!pending_.empty() && pending_.begin()->second.end <= everywhere) {
    lines.push_back(line(pending_.begin()->first, pending_.begin()->second));
    pending_.erase(pending_.begin());
  }
  return lines;
}

std::string WindowLog::line(WallSeconds start, const Window& window) const {
  const auto largest_first = [this](auto counts) {
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    counts.resize(std::min(counts.size(), top_));
    return counts;
  };
  using Named = std::vector<std::pair<std::string, std::uint64_t>>;
  const std::uint64_t calls = std::accumulate(window.crime_types.begin(), window.crime_types.end(), std::uint64_t{0},
                                              [](std::uint64_t sum, const auto& type) { return sum + type.second; });
  const std::string end = format_wall_time(window.end);
  std::string text = "window " + format_wall_time(start) + " to " + end.substr(end.find('T') + 1) +
                     " closed: " + std::to_string(calls) + " calls; crime types: ";
  const Named types = largest_first(Named(window.crime_types.begin(), window.crime_types.end()));
  for (std::size_t i = 0; i < types.size(); ++i) {
    text += (i > 0 ? ", " : "") + types[i].first + " " + std::to_string(types[i].second);
  }
  text += " (" + std::to_string(window.crime_types.size()) + " in all); dispositions: ";
  Named codes;
  for (const auto& [code, count] : window.dispositions) {
    codes.emplace_back(code, count.first);
  }
  codes = largest_first(codes);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::string& description = window.dispositions.at(codes[i].first).second;
    text += (i > 0 ? ", " : "") + codes[i].first + " " + std::to_string(codes[i].second) +
            (description.empty() ? "" : " " + description);
  }
  return text;
}

}  // namespace sfcrimed
