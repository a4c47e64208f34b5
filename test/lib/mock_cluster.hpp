#pragma once
// librdkafka's built-in mock cluster, for the faults a real broker cannot be made to show
// on demand. The real-broker tests are in test/integration/.

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>

#include <string>

#include "sfcrimed/producer.hpp"

namespace sfcrimed::test {

// Settings for a producer that starts a one-broker mock cluster of its own.
inline kafka::Settings mock_producer_settings() {
  return {{"test.mock.num.brokers", "1"}, {"acks", "all"}, {"enable.idempotence", "true"}, {"linger.ms", "5"}};
}

// The mock cluster that `producer` started.
inline rd_kafka_mock_cluster_t* mock_cluster_of(kafka::Producer& producer) {
  return rd_kafka_handle_mock_cluster(producer.handle().c_ptr());
}

// Its bootstrap address, for other clients.
inline std::string mock_bootstrap(kafka::Producer& producer) {
  return rd_kafka_mock_cluster_bootstraps(mock_cluster_of(producer));
}

// A one-broker mock cluster that lives as long as this object, for any client to use
// through its bootstrap address, as a real broker would be.
class MockCluster {
 public:
  // Its groups rebalance at once, as the project's brokers do (etc/kafka: no initial delay).
  MockCluster() : owner_(mock_producer_settings()), bootstrap_(mock_bootstrap(owner_)) {
    rd_kafka_mock_group_initial_rebalance_delay_ms(cluster(), 0);
  }
  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  [[nodiscard]] rd_kafka_mock_cluster_t* cluster() { return mock_cluster_of(owner_); }
  // The mock's admin API creates no topics; this does (one replica).
  void create_topic(const std::string& topic, int partitions) {
    rd_kafka_mock_topic_create(cluster(), topic.c_str(), partitions, 1);
  }

 private:
  kafka::Producer owner_;
  std::string bootstrap_;
};

}  // namespace sfcrimed::test
