#include "sfcrimed/pipeline/open_transaction.hpp"

#include <iterator>
#include <utility>

namespace sfcrimed::detail {

void OpenTransaction::emitted(std::int32_t partition, std::vector<StatsEntry> out, bool keep_entries) {
  auto& finals = final_entries[partition];
  for (auto& entry : out) {
    windows.insert(entry.window_start);
    if (entry.final) {
      finals.push_back(keep_entries ? entry : std::move(entry));
    }
  }
  if (keep_entries) {
    entries.insert(entries.end(), std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()));
  }
}

void OpenTransaction::forget_partition(std::int32_t partition) {
  changed.erase(partition);
  closed_since.erase(partition);
}

void OpenTransaction::clear() {
  changed.clear();
  closed_since.clear();
  records = 0;
  final_entries.clear();
  entries.clear();
  windows.clear();
  stats_messages = stats_bytes = state_bytes = 0;
}

}  // namespace sfcrimed::detail
