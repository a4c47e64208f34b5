#pragma once
// sfcrimed's Prometheus metrics: one registry, served on /metrics when asked to.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "sfcrimed/kafka_settings.hpp"

namespace prometheus {
class Exposer;
}

namespace sfcrimed {

struct IngestMetrics {
  prometheus::Counter& sent;      // handed to the producer
  prometheus::Counter& acked;     // delivery reports: acknowledged
  prometheus::Counter& failed;    // delivery reports: failed
  prometheus::Counter& skipped;   // bad records left out of the replay
  prometheus::Gauge& rate_limit;  // ingest.rate (records/s; 0 = unlimited)
  prometheus::Gauge& speedup;     // ingest.speedup (0 = off)
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serves /metrics on `listen` (host:port); throws std::runtime_error naming the address
  // when it cannot listen there.
  void serve(const std::string& listen);

  // The producer's effective settings, as one info series (value 1) labelled with them.
  void describe_producer(const kafka::Settings& settings);

  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }
  IngestMetrics ingest;

 private:
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry);
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace sfcrimed
