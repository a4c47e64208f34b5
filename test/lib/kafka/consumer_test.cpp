#include "sfcrimed/consumer.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "mock_cluster.hpp"
#include "sfcrimed/producer.hpp"

using namespace std::chrono_literals;
using sfcrimed::kafka::Consumer;
using sfcrimed::kafka::Producer;
using sfcrimed::kafka::SettingError;
using sfcrimed::kafka::Settings;

TEST_CASE("a consumer needs a group id", "[consumer]") {
  CHECK_THROWS_AS(Consumer(Settings{{"bootstrap.servers", "localhost:1"}}), SettingError);
}

TEST_CASE("a consumer reads back every message produced, with keys and values", "[consumer]") {
  Producer producer(sfcrimed::test::mock_producer_settings());
  for (int i = 0; i < 50; ++i) {
    producer.produce("calls", "key-" + std::to_string(i), "value-" + std::to_string(i));
  }
  REQUIRE(producer.flush(30s));

  Consumer consumer({{"bootstrap.servers", sfcrimed::test::mock_bootstrap(producer)},
                     {"group.id", "consumer-test"},
                     {"auto.offset.reset", "earliest"}});
  consumer.subscribe({"calls"});
  std::set<std::string> seen;
  for (int polls = 0; polls < 200 && seen.size() < 50; ++polls) {
    const auto message = consumer.poll(100ms);
    if (!message || message->err() != RdKafka::ERR_NO_ERROR) {
      continue;
    }
    const std::string value(static_cast<const char*>(message->payload()), message->len());
    CHECK(value == "value-" + message->key()->substr(4));
    seen.insert(*message->key());
  }
  CHECK(seen.size() == 50);
  consumer.commit();
  consumer.close();
}
