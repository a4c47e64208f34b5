#include "sfcrimed/connection_refusal.hpp"

#include <catch2/catch.hpp>

using sfcrimed::kafka::ConnectionRefusals;
using sfcrimed::kafka::refusal_of;
using namespace std::chrono_literals;

TEST_CASE("what librdkafka says of a refused connection names the settings to check", "[connection_refusal]") {
  const auto password = refusal_of(RdKafka::ERR__AUTHENTICATION,
                                   "SASL authentication error: Authentication failed during authentication due to "
                                   "invalid credentials with SASL mechanism SCRAM-SHA-512 (after 312ms in state "
                                   "AUTH_REQ)");
  REQUIRE(password);
  CHECK(password->certain);
  CHECK_THAT(password->reason, Catch::StartsWith("Kafka refused sfcrimed's credentials (SASL authentication error") &&
                                   Catch::Contains("sasl.username and sasl.password"));
  const auto ca = refusal_of(RdKafka::ERR__SSL,
                             "ssl://localhost:9093/bootstrap: SSL handshake failed: error:0A000086:SSL "
                             "routines::certificate verify failed: broker certificate could not be verified");
  REQUIRE(ca);
  CHECK(ca->certain);
  CHECK_THAT(ca->reason, Catch::Contains("ssl.ca.location"));
  const auto alert = refusal_of(RdKafka::ERR__SSL, "SSL handshake failed: tlsv13 alert certificate required");
  REQUIRE(alert);
  CHECK(alert->certain);
  CHECK_THAT(alert->reason, Catch::Contains("ssl.certificate.location"));
  const auto cut = refusal_of(RdKafka::ERR__SSL, "SSL handshake failed: Disconnected");
  REQUIRE(cut);
  CHECK_FALSE(cut->certain);  // a broker stopping does that too
  const auto plaintext = refusal_of(RdKafka::ERR__TRANSPORT,
                                    "Disconnected while requesting ApiVersion: might be caused by incorrect "
                                    "security.protocol configuration (connecting to a SSL listener?)");
  REQUIRE(plaintext);
  CHECK_FALSE(plaintext->certain);
  CHECK_THAT(plaintext->reason, Catch::Contains("[client] security.protocol"));
  const auto closed = refusal_of(RdKafka::ERR__TRANSPORT,
                                 "localhost:9093/bootstrap: Disconnected: connection closed by peer: receive 0 after "
                                 "POLLIN (after 0ms in state APIVERSION_QUERY)");
  REQUIRE(closed);
  CHECK_FALSE(closed->certain);
  const auto torn = refusal_of(RdKafka::ERR__AUTHENTICATION,
                               "GroupCoordinator: SASL authentication error: SaslAuthenticateRequest failed: Local: "
                               "Broker transport failure (after 0ms in state DOWN)");
  REQUIRE(torn);
  CHECK_FALSE(torn->certain);  // a connection closed in the middle, not the broker's verdict
  CHECK_FALSE(refusal_of(RdKafka::ERR__TRANSPORT, "Connect to ipv4#127.0.0.1:9092 failed: Connection refused"));
  CHECK_FALSE(refusal_of(RdKafka::ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"));
}

TEST_CASE("a certain refusal is final at once, an uncertain one once it lasts and nothing ever connected",
          "[connection_refusal]") {
  const auto start = ConnectionRefusals::Clock::now();
  const std::string plaintext =
      "Disconnected while requesting ApiVersion: might be caused by incorrect "
      "security.protocol configuration";
  ConnectionRefusals uncertain;
  uncertain.saw(RdKafka::ERR__TRANSPORT, plaintext, start);
  CHECK_FALSE(uncertain.lasting(start));
  uncertain.saw(RdKafka::ERR__TRANSPORT, plaintext, start + 10s);
  CHECK_FALSE(uncertain.lasting(start + 10s));
  uncertain.saw(RdKafka::ERR__TRANSPORT, plaintext, start + 30s);
  CHECK(uncertain.lasting(start + 30s));
  CHECK_FALSE(uncertain.certain());                                                // the retries do not give up on it
  CHECK_FALSE(uncertain.lasting(start + 30s + ConnectionRefusals::kForget + 1s));  // long gone
  uncertain.saw(RdKafka::ERR__TRANSPORT, plaintext, start + 40s);
  uncertain.connected();  // a broker was up: closed connections are brokers going away
  CHECK_FALSE(uncertain.lasting(start + 40s));

  ConnectionRefusals gone;  // one sighting, then another after it was forgotten: not lasting
  gone.saw(RdKafka::ERR__TRANSPORT, plaintext, start);
  gone.saw(RdKafka::ERR__TRANSPORT, plaintext, start + ConnectionRefusals::kForget + 30s);
  CHECK_FALSE(gone.lasting(start + ConnectionRefusals::kForget + 30s));

  ConnectionRefusals from_log;  // the log line of a failed connection, its code read from its text
  from_log.saw_log(
      "localhost:9093/bootstrap: SASL authentication error: Authentication failed during "
      "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
      start);
  CHECK_THAT(from_log.certain().value_or(""), Catch::Contains("credentials"));

  ConnectionRefusals expired;  // what librdkafka 2.14 logs when a broker refuses the client certificate
  expired.saw_log(
      "ssl://localhost:20328/bootstrap: Receive failed: error:0A000416:SSL routines::sslv3 alert "
      "certificate unknown: SSL alert number 46 (after 1ms in state APIVERSION_QUERY)",
      start);
  CHECK_THAT(expired.certain().value_or(""), Catch::Contains("did not accept sfcrimed's client certificate"));

  ConnectionRefusals certain;
  certain.saw(RdKafka::ERR__TRANSPORT, "Connect to ipv4#127.0.0.1:9092 failed: Connection refused", start);
  CHECK_FALSE(certain.lasting(start));
  certain.saw(RdKafka::ERR__AUTHENTICATION, "SASL authentication error: Authentication failed", start);
  CHECK_THAT(certain.certain().value_or(""), Catch::Contains("credentials"));
  certain.connected();
  CHECK(certain.lasting(start));  // certain whether or not a broker was ever up
}

TEST_CASE("a request refused for want of an ACL says which to grant", "[connection_refusal]") {
  CHECK_THAT(sfcrimed::kafka::missing_acl_hint(RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
             Catch::Contains("Write and Describe on the transactional ids with the prefix "
                             "<pipeline.group>.<kafka.topic>.") &&
                 Catch::Contains("docs/security.md"));
  CHECK_THAT(sfcrimed::kafka::missing_acl_hint(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED),
             Catch::Contains("on the topics with the prefix kafka.topic"));
  CHECK(sfcrimed::kafka::missing_acl_hint(RdKafka::ERR__TIMED_OUT).empty());
}
