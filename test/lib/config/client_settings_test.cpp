#include "sfcrimed/client_settings.hpp"

#include <catch2/catch.hpp>

using sfcrimed::Config;
using sfcrimed::kafka::setting_or;

namespace {

Config secured() {
  Config config;
  config.kafka.bootstrap = "broker-a:9093,broker-b:9093";
  config.client = {
      {"security.protocol", "sasl_ssl"}, {"sasl.mechanism", "SCRAM-SHA-512"}, {"ssl.ca.location", "/etc/ssl/ca.pem"}};
  config.producer = sfcrimed::default_producer_settings();
  config.consumer = sfcrimed::default_consumer_settings();
  return config;
}

}  // namespace

TEST_CASE("every client gets the brokers and the connection's security", "[client_settings]") {
  const Config config = secured();
  for (const auto& settings : {sfcrimed::client_settings(config, "reader"), sfcrimed::ingest_producer_settings(config),
                               sfcrimed::transactional_producer_settings(config, "g.t.0"),
                               sfcrimed::group_consumer_settings(config, "g.t.0")}) {
    CHECK(setting_or(settings, "bootstrap.servers", "") == "broker-a:9093,broker-b:9093");
    CHECK(setting_or(settings, "security.protocol", "") == "sasl_ssl");
    CHECK(setting_or(settings, "sasl.mechanism", "") == "SCRAM-SHA-512");
    CHECK(setting_or(settings, "ssl.ca.location", "") == "/etc/ssl/ca.pem");
  }
  const auto reader = sfcrimed::client_settings(config, "reader");
  CHECK(setting_or(reader, "client.id", "") == "reader");
  CHECK(setting_or(reader, "linger.ms", "none") == "none");  // producer tuning stays the producer's
}

TEST_CASE("a transactional producer waits at most its transaction's timeout", "[client_settings]") {
  const Config config = secured();
  REQUIRE(setting_or(config.producer, "message.timeout.ms", "") == "120000");
  const auto settings = sfcrimed::transactional_producer_settings(config, "sfcrimed.sf.police.calls.1");
  CHECK(setting_or(settings, "message.timeout.ms", "unset") == "unset");
  CHECK(setting_or(settings, "transactional.id", "") == "sfcrimed.sf.police.calls.1");
  CHECK(setting_or(settings, "client.id", "") == "sfcrimed.sf.police.calls.1.producer");
  CHECK(setting_or(settings, "enable.idempotence", "") == "true");
  // librdkafka accepts the whole set (it refuses a message.timeout.ms above the transaction's).
  CHECK_NOTHROW(sfcrimed::kafka::make_conf(settings));
}

TEST_CASE("a group member is static, reads from the start and sees each partition's end", "[client_settings]") {
  Config config = secured();
  config.pipeline.group = "stats";
  const auto settings = sfcrimed::group_consumer_settings(config, "stats.calls.0");
  CHECK(setting_or(settings, "group.id", "") == "stats");
  CHECK(setting_or(settings, "group.instance.id", "") == "stats.calls.0");
  CHECK(setting_or(settings, "auto.offset.reset", "") == "earliest");
  CHECK(setting_or(settings, "enable.partition.eof", "") == "true");
  CHECK(setting_or(settings, "isolation.level", "") == "read_committed");
  CHECK(setting_or(settings, "session.timeout.ms", "") == "45000");
  CHECK_FALSE(sfcrimed::uses_consumer_group_protocol(config));
  CHECK_NOTHROW(sfcrimed::kafka::make_conf(settings));
}

TEST_CASE("with KIP-848's group protocol the session is the broker's to keep", "[client_settings]") {
  Config config = secured();
  config.consumer.emplace_back("group.protocol", "consumer");
  const auto settings = sfcrimed::group_consumer_settings(config, "sfcrimed.t.0");
  CHECK(sfcrimed::uses_consumer_group_protocol(config));
  CHECK(setting_or(settings, "session.timeout.ms", "unset") == "unset");
  CHECK(setting_or(settings, "group.protocol", "") == "consumer");
  CHECK_NOTHROW(sfcrimed::kafka::make_conf(settings));  // librdkafka refuses session.timeout.ms with it
}

TEST_CASE("a role's own section comes after [client], so that it may override it for that role", "[client_settings]") {
  Config config = secured();
  config.producer.emplace_back("ssl.ca.location", "/etc/ssl/producers-ca.pem");
  CHECK(setting_or(sfcrimed::ingest_producer_settings(config), "ssl.ca.location", "") == "/etc/ssl/producers-ca.pem");
  CHECK(setting_or(sfcrimed::group_consumer_settings(config, "g.t.0"), "ssl.ca.location", "") == "/etc/ssl/ca.pem");
  CHECK(setting_or(sfcrimed::client_settings(config, "reader"), "ssl.ca.location", "") == "/etc/ssl/ca.pem");
}

TEST_CASE("the security set once in [client] reaches sfcrimed stats and sfcrimed consume", "[client_settings]") {
  const Config config = secured();
  const auto stats = sfcrimed::stats_command_settings(config);
  const auto consume = sfcrimed::consume_command_settings(config, "inspect", false);
  for (const auto& settings : {stats, consume}) {
    CHECK(setting_or(settings, "bootstrap.servers", "") == "broker-a:9093,broker-b:9093");
    CHECK(setting_or(settings, "security.protocol", "") == "sasl_ssl");
    CHECK(setting_or(settings, "sasl.mechanism", "") == "SCRAM-SHA-512");
    CHECK(setting_or(settings, "ssl.ca.location", "") == "/etc/ssl/ca.pem");
    CHECK(setting_or(settings, "linger.ms", "none") == "none");        // the producer's tuning stays its own
    CHECK(setting_or(settings, "isolation.level", "none") == "none");  // and so does the pipeline's
    CHECK(setting_or(settings, "session.timeout.ms", "none") == "none");
  }
  CHECK(setting_or(stats, "client.id", "") == "sfcrimed-stats");
  CHECK(setting_or(stats, "group.id", "none") == "none");
  CHECK(setting_or(consume, "client.id", "") == "sfcrimed-consume");
}

TEST_CASE("sfcrimed consume's consumer is a committing member of its group", "[client_settings]") {
  Config config;
  config.kafka.bootstrap = "localhost:19092";
  const auto latest = sfcrimed::consume_command_settings(config, "inspect", false);
  CHECK(setting_or(latest, "bootstrap.servers", "") == "localhost:19092");
  CHECK(setting_or(latest, "group.id", "") == "inspect");
  CHECK(setting_or(latest, "auto.offset.reset", "") == "latest");
  CHECK(setting_or(latest, "enable.auto.commit", "") == "true");
  CHECK(setting_or(latest, "enable.partition.eof", "") == "false");
  CHECK_NOTHROW(sfcrimed::kafka::make_conf(latest));
  const auto earliest = sfcrimed::consume_command_settings(config, "inspect", true);
  CHECK(setting_or(earliest, "auto.offset.reset", "") == "earliest");
}
