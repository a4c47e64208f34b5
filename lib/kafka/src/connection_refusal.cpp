#include "sfcrimed/connection_refusal.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace sfcrimed::kafka {
namespace {

bool mentions(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

bool certificate_not_trusted(const std::string& text) {
  static constexpr std::array<std::string_view, 4> kSigns = {"certificate verify failed", "unknown ca",
                                                             "certificate expired", "hostname mismatch"};
  return std::ranges::any_of(kSigns, [&](std::string_view sign) { return mentions(text, sign); });
}

}  // namespace

std::optional<Refusal> refusal_of(RdKafka::ErrorCode err, const std::string& text) {
  const bool tls = err == RdKafka::ERR__SSL || (err == RdKafka::ERR__AUTHENTICATION && mentions(text, "SSL"));
  if (err == RdKafka::ERR__AUTHENTICATION && !tls) {
    // The broker's verdict names the failure; a connection torn down in the middle of
    // its authentication (a broker stopping, a client closing) says "transport failure".
    const bool verdict = mentions(text, "Authentication failed") || mentions(text, "mechanism");
    return Refusal{"Kafka refused sfcrimed's credentials (" + text +
                       "); check [client] sasl.mechanism, sasl.username and sasl.password, and that the user exists "
                       "on the cluster",
                   verdict && !mentions(text, "transport failure")};
  }
  if (tls && certificate_not_trusted(text)) {
    return Refusal{"a certificate was not trusted in the TLS handshake (" + text +
                   "); check [client] ssl.ca.location (the CA that signed the brokers' certificates), the "
                   "certificates' dates, and that the brokers' certificates name the hosts of kafka.bootstrap"};
  }
  if (tls && mentions(text, "alert") && mentions(text, "certificate")) {
    return Refusal{"a broker did not accept sfcrimed's client certificate (" + text +
                   "); check [client] ssl.certificate.location and ssl.key.location: a certificate the brokers' CA "
                   "signed, not expired, with its own key"};
  }
  if (tls) {
    // A TLS alert is the broker's answer; a handshake cut short may be a broker going away.
    return Refusal{"the TLS handshake with a broker failed (" + text +
                       "); check [client] security.protocol against the broker's listener, and "
                       "ssl.certificate.location and ssl.key.location where the broker asks for a client certificate",
                   mentions(text, "alert")};
  }
  // librdkafka 2.14 says "Disconnected ... in state APIVERSION_QUERY" of a TLS listener
  // that closes on a plaintext request; older ones name security.protocol.
  if (err == RdKafka::ERR__TRANSPORT &&
      (mentions(text, "security.protocol") ||
       (mentions(text, "Disconnected") && mentions(text, "in state APIVERSION_QUERY")))) {
    return Refusal{
        "a broker keeps closing the connection during the handshake, as a TLS or SASL listener does "
        "with a plaintext client (" +
            text + "); check [client] security.protocol against the broker's listener",
        false};
  }
  return std::nullopt;
}

std::string missing_acl_hint(RdKafka::ErrorCode err) {
  const char* grant = nullptr;
  switch (err) {
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
      grant = "Create, Describe, DescribeConfigs, Read and Write on the topics with the prefix kafka.topic";
      break;
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
      grant = "Read and Describe on the groups with the prefix pipeline.group, and on <kafka.topic>.ingest";
      break;
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      grant = "Write and Describe on the transactional ids with the prefix <pipeline.group>.<kafka.topic>.";
      break;
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
      grant = "IdempotentWrite on the cluster";
      break;
    default:
      return "";
  }
  return std::string("; Kafka's ACLs do not allow sfcrimed's user this: grant it ") + grant +
         " (docs/security.md lists every ACL sfcrimed needs)";
}

ConnectionRefusals& ConnectionRefusals::process() {
  static ConnectionRefusals refusals;
  return refusals;
}

void ConnectionRefusals::saw(RdKafka::ErrorCode err, const std::string& text, Clock::time_point now) {
  auto refusal = refusal_of(err, text);
  if (!refusal) {
    return;
  }
  const std::lock_guard lock(mutex_);
  if (refusal->certain) {
    if (!certain_) {
      certain_ = std::move(refusal->reason);
    }
    return;
  }
  if (uncertain_.empty() || now - uncertain_last_ > kForget) {
    uncertain_first_ = now;
  }
  uncertain_ = std::move(refusal->reason);
  uncertain_last_ = now;
}

void ConnectionRefusals::saw_log(const std::string& text, Clock::time_point now) {
  RdKafka::ErrorCode err = RdKafka::ERR__TRANSPORT;
  if (mentions(text, "SSL handshake failed") || mentions(text, "SSL routines") || mentions(text, "SSL alert")) {
    err = RdKafka::ERR__SSL;
  } else if (mentions(text, "SASL") && mentions(text, "uthentication")) {
    err = RdKafka::ERR__AUTHENTICATION;
  }
  saw(err, text, now);
}

void ConnectionRefusals::connected() {
  const std::lock_guard lock(mutex_);
  connected_ = true;
}

std::optional<std::string> ConnectionRefusals::certain() const {
  const std::lock_guard lock(mutex_);
  return certain_;
}

std::optional<std::string> ConnectionRefusals::lasting(Clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  if (certain_) {
    return certain_;
  }
  if (!connected_ && !uncertain_.empty() && uncertain_last_ - uncertain_first_ >= kRepeatAfter &&
      now - uncertain_last_ <= kForget) {
    return uncertain_;
  }
  return std::nullopt;
}

}  // namespace sfcrimed::kafka
