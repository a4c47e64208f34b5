#include "sfcrimed/kafka_properties.hpp"

#include <catch2/catch.hpp>

using sfcrimed::kafka::setting_or;
using sfcrimed::kafka::Settings;

TEST_CASE("setting_or returns the last value given, or the fallback", "[kafka_settings]") {
  const Settings settings{{"acks", "1"}, {"linger.ms", "5"}, {"acks", "all"}};
  CHECK(setting_or(settings, "acks", "0") == "all");
  CHECK(setting_or(settings, "batch.size", "16384") == "16384");
}

TEST_CASE("broker states are read from librdkafka's statistics, each broker once", "[kafka_settings]") {
  // Abridged from a real consumer's statistics: the bootstrap entry (node -1), broker 1
  // up and also listed as the group coordinator, broker 2 down.
  const std::string statistics = R"({"name":"c#consumer-1","client_id":"sfcrimed.calls.0","type":"consumer",
    "brokers":{
      "localhost:9092/bootstrap":{"name":"localhost:9092/bootstrap","nodeid":-1,"state":"UP","rtt":{"avg":1}},
      "localhost:9092/1":{"name":"localhost:9092/1","nodeid":1,"nodename":"localhost:9092","state":"UP"},
      "GroupCoordinator":{"name":"GroupCoordinator","nodeid":1,"state":"UP"},
      "localhost:9093/2":{"name":"localhost:9093/2","nodeid":2,"state":"CONNECT"}},
    "topics":{}})";
  const auto states = sfcrimed::kafka::broker_states(statistics);
  REQUIRE(states);
  CHECK(states->client_id == "sfcrimed.calls.0");
  CHECK(states->up == 1);
  CHECK(states->known == 2);
  CHECK_FALSE(sfcrimed::kafka::broker_states(R"({"client_id":"x"})"));
  CHECK_FALSE(sfcrimed::kafka::broker_states("not json"));
}
