#include "sfcrimed/metrics.hpp"

#include <prometheus/exposer.h>

#include <map>
#include <stdexcept>

namespace sfcrimed {
namespace {

IngestMetrics make_ingest_metrics(prometheus::Registry& registry) {
  auto& records = prometheus::BuildCounter()
                      .Name("sfcrimed_ingest_records_total")
                      .Help(
                          "Calls the ingest thread handled, by outcome: sent (to the producer), acked and failed "
                          "(delivery reports), skipped (bad records left out)")
                      .Register(registry);
  auto& rate = prometheus::BuildGauge()
                   .Name("sfcrimed_ingest_rate_limit_records_per_second")
                   .Help("ingest.rate: the replay's target rate; 0 = as fast as the broker takes it")
                   .Register(registry);
  auto& speedup = prometheus::BuildGauge()
                      .Name("sfcrimed_ingest_speedup")
                      .Help("ingest.speedup: event-time gaps replayed this many times faster; 0 = off")
                      .Register(registry);
  return {records.Add({{"outcome", "sent"}}),
          records.Add({{"outcome", "acked"}}),
          records.Add({{"outcome", "failed"}}),
          records.Add({{"outcome", "skipped"}}),
          rate.Add({}),
          speedup.Add({})};
}

}  // namespace

Metrics::Metrics() : Metrics(std::make_shared<prometheus::Registry>()) {}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry)
    : ingest(make_ingest_metrics(*registry)), registry_(std::move(registry)) {}

Metrics::~Metrics() = default;

void Metrics::serve(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + " (" + e.what() +
                             "); is the port taken? set metrics.listen to another address, or empty for none");
  }
  exposer_->RegisterCollectable(registry_);
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
  prometheus::BuildGauge()
      .Name("sfcrimed_producer_config_info")
      .Help("The producer's librdkafka settings in effect, as labels (value 1)")
      .Register(*registry_)
      .Add(labels)
      .Set(1);
}

}  // namespace sfcrimed
