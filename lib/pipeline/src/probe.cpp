#include "sfcrimed/pipeline/probe.hpp"

#include <chrono>
#include <map>

namespace sfcrimed::detail {

PipelineProbe::PipelineProbe(PipelineMetrics& metrics, int thread)
    : metrics_(metrics), thread_(std::to_string(thread)) {}

void PipelineProbe::flush(const LocalCounts& counts) {
  metrics_.consumed.Increment(static_cast<double>(counts.consumed));
  metrics_.parsed.Increment(static_cast<double>(counts.parsed));
  metrics_.malformed.Increment(static_cast<double>(counts.malformed));
  metrics_.duplicate.Increment(static_cast<double>(counts.duplicate));
  metrics_.late.Increment(static_cast<double>(counts.late));
  metrics_.aggregated.Increment(static_cast<double>(counts.aggregated));
  metrics_.latency.ObserveMultiple(counts.latency_buckets, counts.latency_sum);
}

void PipelineProbe::committed(const OpenTransaction& transaction, std::size_t closed_windows, Clock::time_point now) {
  for (const auto& [partition, since] : transaction.closed_since) {
    metrics_.window_emit_latency.Observe(std::chrono::duration<double>(now - since).count());
  }
  metrics_.windows_closed.Increment(static_cast<double>(closed_windows));
  metrics_.stats_messages.Increment(static_cast<double>(transaction.stats_messages));
  metrics_.stats_bytes.Increment(static_cast<double>(transaction.stats_bytes));
  metrics_.state_bytes.Increment(static_cast<double>(transaction.state_bytes));
  metrics_.transaction_records.Observe(static_cast<double>(transaction.records));
  metrics_.transactions_committed.Increment();
  metrics_.last_commit.Add({{"thread", thread_}})
      .Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void PipelineProbe::aborted() { metrics_.transactions_aborted.Increment(); }

void PipelineProbe::partition(std::int32_t partition, std::size_t open_windows, std::size_t entries) {
  const std::string label = std::to_string(partition);
  metrics_.open_windows.Add({{"partition", label}}).Set(static_cast<double>(open_windows));
  metrics_.state_entries.Add({{"partition", label}}).Set(static_cast<double>(entries));
}

void PipelineProbe::forget_partition(std::int32_t partition) {
  const std::map<std::string, std::string> labels = {{"partition", std::to_string(partition)}};
  for (auto* family : {&metrics_.open_windows, &metrics_.state_entries}) {
    family->Remove(&family->Add(labels));
  }
}

}  // namespace sfcrimed::detail
