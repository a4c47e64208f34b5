#pragma once
// A pipeline thread's metrics (sfcrimed_pipeline_* in /metrics): what its records did,
// its transactions, and the series of the partitions it owns. Each thread has its own
// probe; the Prometheus metrics under it are thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sfcrimed/metrics.hpp"
#include "sfcrimed/pipeline/open_transaction.hpp"
#include "sfcrimed/pipeline/record_handler.hpp"

namespace sfcrimed::detail {

class PipelineProbe {
 public:
  PipelineProbe(PipelineMetrics& metrics, int thread);

  // Adds `counts` (since the last flush) to the counters and the latency histogram.
  void flush(const LocalCounts& counts);
  // `transaction` committed at `now`, closing `closed_windows` windows.
  void committed(const OpenTransaction& transaction, std::size_t closed_windows, Clock::time_point now);
  void aborted();
  // An owned partition's open windows and state entries.
  void partition(std::int32_t partition, std::size_t open_windows, std::size_t entries);
  // A partition this thread no longer owns: its series go, or a sum over partitions would
  // count it again under its new owner.
  void forget_partition(std::int32_t partition);

 private:
  PipelineMetrics& metrics_;
  const std::string thread_;
};

}  // namespace sfcrimed::detail
