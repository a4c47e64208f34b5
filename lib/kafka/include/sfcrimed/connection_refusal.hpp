#pragma once
// A cluster that refuses sfcrimed's connections: wrong credentials, a certificate one side
// does not trust, a plaintext client at a TLS listener. librdkafka treats these as it
// treats a broker that is down (it reconnects for ever), so without this a misconfigured
// sfcrimed would wait out kafka.unavailable_timeout looking as if the cluster were away.
// Every client's error events and failed-connection log lines pass through refusal_of();
// ConnectionRefusals keeps the latest. A refusal that can mean nothing else (the broker
// rejected the password, a certificate failed verification, a TLS alert) is certain():
// the retries and the service give up on it at once (exit 69, with what to check). One
// that a broker going away can also cause (a connection closed during the handshake, as
// a TLS listener closes a plaintext client's) only counts while no broker connection has
// ever worked in this process, and once it lasts (seen again kRepeatAfter or more later,
// within kForget): lasting(), which the service gives up on, so that a failover never
// ends a run. librdkafka repeats an identical error of a broker only every 30 s or so.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace sfcrimed::kafka {

struct Refusal {
  std::string reason;   // what happened and which settings to check
  bool certain = true;  // false: a broker going away could have caused it too
};

// What an error event says when it is a refusal; nullopt for anything else (a broker
// down, a timeout). Pure: no state.
std::optional<Refusal> refusal_of(RdKafka::ErrorCode err, const std::string& text);

// What to grant when Kafka refused a request for want of an ACL (one of the
// *_AUTHORIZATION_FAILED codes): "; Kafka's ACLs do not allow sfcrimed's user this: grant
// ...", to append to the error; "" for any other code. Pure.
std::string missing_acl_hint(RdKafka::ErrorCode err);

// The refusals seen lately, process-wide (every client's events reach the same one).
// Thread-safe: librdkafka's threads record, any thread asks.
class ConnectionRefusals {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kRepeatAfter{20};
  static constexpr std::chrono::seconds kForget{120};

  static ConnectionRefusals& process();

  // An error event of any client; kept when it is a refusal.
  void saw(RdKafka::ErrorCode err, const std::string& text, Clock::time_point now = Clock::now());
  // A log line of a failed broker connection (librdkafka's facility FAIL), which names no
  // error code: the code is read from its text.
  void saw_log(const std::string& text, Clock::time_point now = Clock::now());
  // Some client had a broker connection up (its statistics said so): from then on an
  // uncertain refusal is taken for a broker going away.
  void connected();

  // The first certain refusal, if one came.
  [[nodiscard]] std::optional<std::string> certain() const;
  // The certain refusal, or an uncertain one that has lasted by `now` in a process that
  // never connected (see above).
  [[nodiscard]] std::optional<std::string> lasting(Clock::time_point now = Clock::now()) const;

 private:
  mutable std::mutex mutex_;
  bool connected_ = false;
  std::optional<std::string> certain_;                      // the first certain refusal
  std::string uncertain_;                                   // the latest uncertain one
  Clock::time_point uncertain_first_{}, uncertain_last_{};  // its first and latest sighting
};

}  // namespace sfcrimed::kafka
