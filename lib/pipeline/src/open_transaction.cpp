#include "sfcrimed/pipeline/open_transaction.hpp"

namespace sfcrimed::detail {

void OpenTransaction::emitted(std::int32_t partition, const std::vector<StatsEntry>& out, bool keep_entries) {
  for (const auto& entry : out) {
    windows.insert(entry.window_start);
    if (entry.final) {
      final_entries[partition].push_back(entry);
    }
  }
  if (keep_entries) {
    entries.insert(entries.end(), out.begin(), out.end());
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
