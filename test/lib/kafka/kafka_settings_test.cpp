#include "sfcrimed/kafka_settings.hpp"

#include <catch2/catch.hpp>

using sfcrimed::kafka::make_conf;
using sfcrimed::kafka::SettingError;
using sfcrimed::kafka::Settings;

TEST_CASE("known settings make a configuration holding them", "[kafka_settings]") {
  const auto conf = make_conf({{"bootstrap.servers", "localhost:19092"}, {"linger.ms", "20"}});
  std::string value;
  REQUIRE(conf->get("linger.ms", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "20");
  REQUIRE(conf->get("bootstrap.servers", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "localhost:19092");
}

TEST_CASE("an unknown setting is refused with its name and value", "[kafka_settings]") {
  try {
    make_conf({{"linger.ms", "5"}, {"lingerr.ms", "5"}});
    FAIL("no SettingError");
  } catch (const SettingError& e) {
    CHECK(e.name() == "lingerr.ms");
    CHECK_THAT(e.what(), Catch::Contains("'lingerr.ms' = '5'") && Catch::Contains("No such configuration property"));
  }
}

TEST_CASE("a value of the wrong kind is refused with librdkafka's reason", "[kafka_settings]") {
  CHECK_THROWS_WITH(make_conf({{"acks", "maybe"}}),
                    Catch::Contains("'acks' = 'maybe'") && Catch::Contains("Invalid value"));
  CHECK_THROWS_AS(make_conf({{"linger.ms", "-1"}}), SettingError);
}
