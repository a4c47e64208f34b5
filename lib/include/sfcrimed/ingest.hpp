#pragma once
// The ingest thread: replays a calls file into the calls topic, in event-time order by
// default, at the configured pace, through the idempotent producer, and accounts for
// every record: sent, then acknowledged or failed; or skipped as bad, with the reason.

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "sfcrimed/config.hpp"
#include "sfcrimed/metrics.hpp"

namespace sfcrimed {

struct IngestReport {
  std::uint64_t records = 0;   // good records in the file (per pass)
  std::uint64_t sent = 0;      // handed to the producer
  std::uint64_t acked = 0;     // acknowledged by the brokers
  std::uint64_t failed = 0;    // delivery failed (each logged with its reason)
  std::uint64_t skipped = 0;   // bad records left out
  std::uint64_t not_sent = 0;  // left unsent because of a stop request
  double seconds = 0;          // from the first send to the last delivery report
  bool stopped = false;        // a stop was requested before the end

  [[nodiscard]] double rate() const { return seconds > 0 ? static_cast<double>(acked) / seconds : 0; }
  // The "ingest" part of the --drain summary line: {"sent":...,"rate":...}
  [[nodiscard]] std::string to_json() const;
};

class Ingest {
 public:
  Ingest(const Config& config, Metrics& metrics);

  // Reads the file and replays it (again and again with ingest.loop) until the end or
  // until `stop` is requested; then waits for the delivery reports of what was sent (at
  // most `flush_timeout`) and returns the account. Runs in the calling thread. Throws
  // CallFileError when the file cannot be read, std::runtime_error when Kafka cannot be.
  IngestReport run(const std::stop_token& stop, std::chrono::milliseconds flush_timeout = std::chrono::seconds(60));

 private:
  const Config& config_;
  Metrics& metrics_;
};

}  // namespace sfcrimed
