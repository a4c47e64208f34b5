#include "sfcrimed/producer.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "mock_cluster.hpp"

using namespace std::chrono_literals;
using sfcrimed::kafka::Producer;
using sfcrimed::test::mock_cluster_of;
using sfcrimed::test::mock_producer_settings;

TEST_CASE("every message produced is acknowledged once flushed", "[producer]") {
  Producer producer(mock_producer_settings());
  for (int i = 0; i < 1000; ++i) {
    producer.produce("calls", std::to_string(i), R"({"crime_id":")" + std::to_string(i) + R"("})");
  }
  REQUIRE(producer.flush(30s));
  const auto counts = producer.counts();
  CHECK(counts.queued == 1000);
  CHECK(counts.acked == 1000);
  CHECK(counts.failed == 0);
  CHECK(counts.in_flight() == 0);
}

TEST_CASE("a full local queue makes produce wait, not drop", "[producer]") {
  auto settings = mock_producer_settings();
  settings.emplace_back("queue.buffering.max.messages", "10");
  Producer producer(settings);
  for (int i = 0; i < 300; ++i) {
    producer.produce("calls", std::to_string(i), "value");
  }
  REQUIRE(producer.flush(30s));
  CHECK(producer.counts().acked == 300);
}

TEST_CASE("deliveries to a broker that stays down fail, each reported with its reason", "[producer]") {
  auto settings = mock_producer_settings();
  settings.emplace_back("message.timeout.ms", "500");
  std::vector<std::string> failures;
  Producer producer(settings, [&](std::string_view topic, std::string_view key, std::string_view reason) {
    failures.push_back(std::string(topic) + "/" + std::string(key) + ": " + std::string(reason));
  });
  REQUIRE(rd_kafka_mock_broker_set_down(mock_cluster_of(producer), 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  for (int i = 0; i < 5; ++i) {
    producer.produce("calls", "k" + std::to_string(i), "value");
  }
  REQUIRE(producer.flush(10s));
  const auto counts = producer.counts();
  CHECK(counts.acked == 0);
  CHECK(counts.failed == 5);
  REQUIRE(failures.size() == 5);
  CHECK_THAT(failures.front(), Catch::StartsWith("calls/k0: ") && Catch::Contains("timed out"));
}

TEST_CASE("a producer with an unknown setting is refused at creation, naming it", "[producer]") {
  CHECK_THROWS_WITH(Producer({{"bootstrap.servers", "localhost:1"}, {"no.such.setting", "1"}}),
                    Catch::Contains("no.such.setting"));
}
