#pragma once
// sfcrimed's Prometheus metrics: one registry, in the text format the service serves on
// /metrics (lib/http_server).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sfcrimed/kafka_properties.hpp"

namespace sfcrimed {

struct IngestMetrics {
  prometheus::Counter& sent;      // handed to the producer
  prometheus::Counter& acked;     // delivery reports: acknowledged
  prometheus::Counter& failed;    // delivery reports: failed
  prometheus::Counter& skipped;   // bad records left out of the replay
  prometheus::Gauge& rate_limit;  // ingest.rate (records/s; 0 = unlimited)
  prometheus::Gauge& speedup;     // ingest.speedup (0 = off)
};

// What Spark's progress reporter told, and more. Per-partition series are labelled by
// partition only: the crime types (3,418 in the published data) never become labels.
struct PipelineMetrics {
  prometheus::Counter& consumed;                // messages read from the calls topic
  prometheus::Counter& parsed;                  // well-formed calls
  prometheus::Counter& malformed;               // sent to the dead-letter topic
  prometheus::Counter& duplicate;               // a crime_id already counted within the watermark
  prometheus::Counter& late;                    // behind the watermark: its window had closed
  prometheus::Counter& aggregated;              // counted in a window
  prometheus::Counter& windows_closed;          // per partition share of a window, final counts emitted
  prometheus::Counter& stats_messages;          // messages written to the stats topic (one per share)
  prometheus::Counter& stats_bytes;             // their keys and values
  prometheus::Counter& state_bytes;             // state snapshots written to the state topic
  prometheus::Counter& windows_bytes;           // merged windows written to the windows topic
  prometheus::Counter& windows_written_final;   // merged windows written, final
  prometheus::Counter& windows_written_open;    // merged windows written, not final yet
  prometheus::Counter& transactions_committed;  // each commits results, dead letters and offsets
  prometheus::Counter& transactions_aborted;
  prometheus::Histogram& latency;                        // Kafka timestamp of a call to its application, seconds
  prometheus::Histogram& window_emit_latency;            // a window's close to its final counts committed, seconds
  prometheus::Histogram& window_final_latency;           // the message making a window final to its merge committed
  prometheus::Histogram& transaction_records;            // calls topic records per transaction (batch size)
  prometheus::Family<prometheus::Gauge>& lag;            // {partition}: records behind the end, every partition
  prometheus::Gauge& partitions_unowned;                 // calls-topic partitions no thread here owns
  prometheus::Family<prometheus::Gauge>& last_commit;    // {thread}: Unix time of its last committed transaction
  prometheus::Family<prometheus::Gauge>& open_windows;   // {partition}
  prometheus::Family<prometheus::Gauge>& state_entries;  // {partition}: counts and crime_ids held
  prometheus::Gauge& threads;
};

// The latency histogram's bucket bounds, in seconds: 0.5 ms to about 12 s, each 1.5 times
// the one before (the benchmarks read quantiles from these too).
prometheus::Histogram::BucketBoundaries latency_buckets();

// The q-quantile (0.5, 0.99) of what `histogram` observed since its cumulative bucket
// counts were `before` (empty: since the start): the upper bound of the bucket it falls
// in, infinity past the last bound; nothing when nothing was observed since.
std::optional<double> bucket_quantile(const prometheus::ClientMetric::Histogram& histogram,
                                      const std::vector<std::uint64_t>& before, double q);

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Every metric in Prometheus's text exposition format (version 0.0.4).
  [[nodiscard]] std::string text() const;

  // The producer's effective settings, as one info series (value 1) labelled with them.
  void describe_producer(const kafka::Settings& settings);
  // This process's place in its consumer group: sfcrimed_instance_info{group, name} 1.
  // (`name`, not `instance`: Prometheus gives every scraped series an `instance` of its own.)
  void describe_instance(const std::string& group, const std::string& name);

  // A Kafka client's brokers in state UP, from its statistics: sfcrimed_kafka_brokers_up{client}.
  // Any thread.
  void record_broker_states(const kafka::BrokerStates& states);

  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }
  IngestMetrics ingest;
  PipelineMetrics pipeline;

 private:
  void info(const std::string& name, const std::string& help, const std::map<std::string, std::string>& labels);
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry);
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& brokers_up_;
};

}  // namespace sfcrimed
