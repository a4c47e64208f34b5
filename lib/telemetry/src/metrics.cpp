#include "sfcrimed/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <map>
#include <stdexcept>

namespace sfcrimed {
namespace {

// A family of each kind, registered in `registry`.
prometheus::Family<prometheus::Counter>& counters(prometheus::Registry& registry, const std::string& name,
                                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
prometheus::Family<prometheus::Gauge>& gauges(prometheus::Registry& registry, const std::string& name,
                                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
prometheus::Family<prometheus::Histogram>& histograms(prometheus::Registry& registry, const std::string& name,
                                                      const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

IngestMetrics make_ingest_metrics(prometheus::Registry& registry) {
  auto& records = counters(registry, "sfcrimed_ingest_records_total",
                           "Calls the ingest thread handled, by outcome: sent (to the producer), acked and failed "
                           "(delivery reports), skipped (bad records left out)");
  auto& rate = gauges(registry, "sfcrimed_ingest_rate_limit_records_per_second",
                      "ingest.rate: the replay's target rate; 0 = as fast as the broker takes it");
  auto& speedup = gauges(registry, "sfcrimed_ingest_speedup",
                         "ingest.speedup: event-time gaps replayed this many times faster; 0 = off");
  return {records.Add({{"outcome", "sent"}}),
          records.Add({{"outcome", "acked"}}),
          records.Add({{"outcome", "failed"}}),
          records.Add({{"outcome", "skipped"}}),
          rate.Add({}),
          speedup.Add({})};
}

PipelineMetrics make_pipeline_metrics(prometheus::Registry& registry) {
  auto& records =
      counters(registry, "sfcrimed_pipeline_records_total",
               "Calls-topic records the pipeline handled, by outcome: consumed (read), parsed (well-formed), malformed "
               "(to the dead-letter topic), duplicate, late (behind the watermark), aggregated (counted in a window)");
  auto& windows = counters(registry, "sfcrimed_pipeline_windows_closed_total",
                           "Windows closed by the watermark, per partition share, their final counts emitted");
  auto& stats = counters(registry, "sfcrimed_pipeline_stats_messages_total",
                         "Messages written to the stats topic (final and open-window counts)");
  auto& bytes = counters(registry, "sfcrimed_pipeline_output_bytes_total",
                         "Bytes the pipeline wrote (keys and values), by topic: stats (shares), state (snapshots), "
                         "windows (merged windows)");
  auto& transactions = counters(registry, "sfcrimed_pipeline_transactions_total",
                                "Kafka transactions of the pipeline (results, dead letters and offsets), by outcome");
  auto& latency = histograms(registry, "sfcrimed_pipeline_latency_seconds",
                             "From a call's Kafka timestamp to its application to the window state");
  auto& emit = histograms(registry, "sfcrimed_pipeline_window_emit_seconds",
                          "From a window's close (the watermark passing its end) to its final counts committed");
  auto& merged = counters(registry, "sfcrimed_pipeline_windows_written_total",
                          "Merged windows the windows stage wrote to the windows topic, final or not");
  auto& final_latency = histograms(registry, "sfcrimed_pipeline_window_final_seconds",
                                   "From the stats message that made a window final (its Kafka timestamp: a partition "
                                   "closing it) to the merged window committed final");
  auto& batch =
      histograms(registry, "sfcrimed_pipeline_transaction_records", "Calls-topic records per pipeline transaction");
  auto& threads = gauges(registry, "sfcrimed_pipeline_threads", "pipeline.threads: consumer threads of the pipeline");
  return {records.Add({{"outcome", "consumed"}}),
          records.Add({{"outcome", "parsed"}}),
          records.Add({{"outcome", "malformed"}}),
          records.Add({{"outcome", "duplicate"}}),
          records.Add({{"outcome", "late"}}),
          records.Add({{"outcome", "aggregated"}}),
          windows.Add({}),
          stats.Add({}),
          bytes.Add({{"topic", "stats"}}),
          bytes.Add({{"topic", "state"}}),
          bytes.Add({{"topic", "windows"}}),
          merged.Add({{"final", "true"}}),
          merged.Add({{"final", "false"}}),
          transactions.Add({{"outcome", "committed"}}),
          transactions.Add({{"outcome", "aborted"}}),
          latency.Add({}, latency_buckets()),
          emit.Add({}, latency_buckets()),
          final_latency.Add({}, latency_buckets()),
          batch.Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 100, 1000, 10000, 100000}),
          gauges(registry, "sfcrimed_pipeline_consumer_lag_records",
                 "Records between the end of each calls-topic partition and the pipeline's committed position in it: "
                 "its owner's, or for a partition no thread here owns, the group's last commit"),
          gauges(registry, "sfcrimed_pipeline_partitions_unowned",
                 "Calls-topic partitions that no pipeline thread of this process owns (nobody reads them here)")
              .Add({}),
          gauges(registry, "sfcrimed_pipeline_last_commit_timestamp_seconds",
                 "When each pipeline thread last committed a transaction (Unix time): time() minus it is how long its "
                 "results have waited"),
          gauges(registry, "sfcrimed_pipeline_open_windows", "Windows not closed yet, per calls-topic partition owned"),
          gauges(registry, "sfcrimed_pipeline_state_entries",
                 "Counts and remembered crime_ids held in the window state, per calls-topic partition owned"),
          threads.Add({})};
}

}  // namespace

std::optional<double> bucket_quantile(const prometheus::ClientMetric::Histogram& histogram,
                                      const std::vector<std::uint64_t>& before, double q) {
  const auto since = [&](std::size_t i) {
    const std::uint64_t was = i < before.size() ? before[i] : 0;
    return histogram.bucket[i].cumulative_count - was;
  };
  if (histogram.bucket.empty() || since(histogram.bucket.size() - 1) == 0) {
    return std::nullopt;
  }
  const auto total = static_cast<double>(since(histogram.bucket.size() - 1));
  for (std::size_t i = 0; i < histogram.bucket.size(); ++i) {
    if (static_cast<double>(since(i)) >= q * total) {
      return histogram.bucket[i].upper_bound;
    }
  }
  return histogram.bucket.back().upper_bound;
}

prometheus::Histogram::BucketBoundaries latency_buckets() {
  prometheus::Histogram::BucketBoundaries bounds;
  double bound = 0.0005;
  for (int i = 0; i < 26; ++i) {
    bounds.push_back(bound);
    bound *= 1.5;
  }
  return bounds;
}

Metrics::Metrics() : Metrics(std::make_shared<prometheus::Registry>()) {}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry)
    : ingest(make_ingest_metrics(*registry)),
      pipeline(make_pipeline_metrics(*registry)),
      registry_(std::move(registry)),
      brokers_up_(prometheus::BuildGauge()
                      .Name("sfcrimed_kafka_brokers_up")
                      .Help("Kafka brokers a client of sfcrimed (label client: its client.id) has a working connection "
                            "to, from its librdkafka statistics every statistics.interval.ms; 0: the cluster is "
                            "unreachable from it")
                      .Register(*registry_)) {}

Metrics::~Metrics() = default;

std::string Metrics::text() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

void Metrics::record_broker_states(const kafka::BrokerStates& states) {
  brokers_up_.Add({{"client", states.client_id}}).Set(states.up);
}

void Metrics::describe_producer(const kafka::Settings& settings) {
  std::map<std::string, std::string> labels;
  for (const auto& [property, value] : settings) {
    std::string label = property;
    for (char& c : label) {
      if (c == '.') {
        c = '_';
      }
    }
    labels[label] = value;
  }
  info("sfcrimed_producer_config_info", "The producer's librdkafka settings in effect, as labels (value 1)", labels);
}

void Metrics::describe_instance(const std::string& group, const std::string& name) {
  info("sfcrimed_instance_info", "This process's consumer group and instance name (pipeline.instance), as labels",
       {{"group", group}, {"name", name}});
}

void Metrics::info(const std::string& name, const std::string& help, const std::map<std::string, std::string>& labels) {
  prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add(labels).Set(1);
}

}  // namespace sfcrimed
