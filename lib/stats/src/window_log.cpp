#include "sfcrimed/window_log.hpp"

#include <algorithm>
#include <vector>

namespace sfcrimed {
namespace {

// The names of `metric` in `counts`, largest count first (ties by name), at most `top`.
std::vector<const StatsEntry*> largest(std::span<const StatsEntry> counts, StatsMetric metric, std::size_t top,
                                       std::size_t& all) {
  std::vector<const StatsEntry*> named;
  for (const auto& entry : counts) {
    if (entry.metric == metric) {
      named.push_back(&entry);
    }
  }
  all = named.size();
  std::sort(named.begin(), named.end(), [](const auto* a, const auto* b) {
    return a->count != b->count ? a->count > b->count : a->name < b->name;
  });
  named.resize(std::min(named.size(), top));
  return named;
}

}  // namespace

std::string window_line(std::span<const StatsEntry> counts, std::size_t top) {
  if (counts.empty()) {
    return {};
  }
  std::uint64_t calls = 0;
  for (const auto& entry : counts) {
    calls += entry.metric == StatsMetric::crime_type ? entry.count : 0;
  }
  const std::string end = format_wall_time(counts.front().window_end);
  std::string text = "window " + format_wall_time(counts.front().window_start) + " to " +
                     end.substr(end.find('T') + 1) + " closed: " + std::to_string(calls) + " calls; crime types: ";
  std::size_t all = 0;
  const auto types = largest(counts, StatsMetric::crime_type, top, all);
  for (std::size_t i = 0; i < types.size(); ++i) {
    text += (i > 0 ? ", " : "") + types[i]->name + " " + std::to_string(types[i]->count);
  }
  text += " (" + std::to_string(all) + " in all); dispositions: ";
  const auto codes = largest(counts, StatsMetric::disposition, top, all);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    text += (i > 0 ? ", " : "") + codes[i]->name + " " + std::to_string(codes[i]->count) +
            (codes[i]->description ? " " + *codes[i]->description : "");
  }
  return text;
}

}  // namespace sfcrimed
