#pragma once
// The live page's data (the daemon's own status page, where the Spark UI used to be): the
// statistics the pipeline has committed, summed as `sfcrimed stats` sums the stats topic,
// and the progress figures of the moment, as JSON for /api/live, /api/stats and the
// page's event stream. The pipeline's threads add to it; the service's loop reads it.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sfcrimed/pipeline.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

// What the live page shows besides the statistics, measured by the service.
struct LiveFigures {
  std::string status;                        // "ready: ...", "starting: ...", "stopping"
  std::optional<PipelineProgress> pipeline;  // nothing when the pipeline is off
  bool ingest = false;                       // the ingest thread is on
  double ingest_rate = 0;                    // calls/s acknowledged by Kafka
  std::uint64_t ingested = 0;                // acknowledged since the start
};

class LiveView {
 public:
  // `top`: the rows of the crime-type tables; `trend`: the crime types whose counts per
  // window the trend chart draws.
  explicit LiveView(std::size_t top = 10, std::size_t trend = 5);

  // What the stats and dead-letter topics held when the service started (a restarted
  // service goes on from there, as the pipeline does). Before the pipeline runs.
  void start_from(StatsTotals totals);
  // One committed transaction's stats entries. Any thread.
  void add(const std::vector<StatsEntry>& entries);

  // The same JSON line as `sfcrimed stats --json`, `malformed_since_start` added to the
  // dead letters there were at the start.
  [[nodiscard]] std::string stats_json(std::uint64_t malformed_since_start, std::uint64_t late_since_start) const;

  // Everything the page draws, one JSON line:
  // {"status":"...","ingest":{"rate":R,"acked":N}|null,
  //  "pipeline":{"input_rate":R,"processed_rate":R,"lag":N,"latency_ms":{"p50":X|null,"p99":X|null},
  //              "open_windows":N,"consumed":N,"malformed":N,"duplicates":N,"late":N,
  //              "partitions":[{"partition":N,"owner":THREAD|null,"lag":N},...]}|null,  every one;
  //                                                            null owner: no thread here reads it
  //  "calls":N,"malformed":N,"late":N,"crime_type_count":N,     calls and dead letters, earlier runs' too
  //  "crime_types":[{"name":"...","count":N},...],              the largest `top`
  //  "dispositions":[{"code":"...","description":"..."|null,"count":N},...],  all, largest first
  //  "current_window":{"start":"...","end":"...","calls":N,"crime_types":[...]}|null,
  //  "windows":{"start":[epoch s,...],"calls":[N,...]},        calls per window
  //  "trend":{"names":["...",...],"counts":[[N,...],...]}}    per window, the largest `trend` types
  // Window times are the calls' wall times as written, as if UTC. Latency bounds past the
  // histogram's last bucket are null.
  [[nodiscard]] std::string live_json(const LiveFigures& figures) const;

 private:
  const std::size_t top_;
  const std::size_t trend_;
  mutable std::mutex mutex_;
  StatsTotals totals_;
};

}  // namespace sfcrimed
