#pragma once
// The ingest thread: replays a calls file into the calls topic, in event-time order by
// default, at the configured pace, through the idempotent producer, and accounts for
// every record: sent, then acknowledged or failed; or skipped as bad, with the reason.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/call_file.hpp"
#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/metrics.hpp"

namespace sfcrimed {

// Every call the ingest sends carries these two headers, so that a restarted ingest can
// tell from the calls topic's last messages how far an earlier run of the same replay got.
// The replay: replay_fingerprint() of what is replayed, 16 hexadecimal digits.
inline constexpr std::string_view kReplayIdHeader = "sfcrimed.replay.id";
// The call's position in the replay, in decimal: pass x calls per pass + index in the
// pass (0-based), so that a looping replay counts on across passes.
inline constexpr std::string_view kReplayPositionHeader = "sfcrimed.replay.position";

// The replay's identity: 64-bit FNV-1a over the order's name and the crime_ids in replay
// order, in hexadecimal. Other calls or another order give another fingerprint; the pace
// (rate, speedup) does not change it.
std::string replay_fingerprint(std::span<const Call> calls, ReplayOrder order);

// The replay headers of one partition's last message.
struct ReplayMark {
  std::string replay_id;
  std::uint64_t position = 0;
};

// Where to start a replay. First from the last message of each of the calls topic's
// partitions (only those with the replay headers count: empty partitions and other
// messages tell nothing): every call up to the lowest last position of this replay is in
// the topic, since a producer keeps each partition's order. Then, from the messages of
// this replay after that position, read from the partitions' ends, the calls beyond it
// the topic holds too.
struct ResumePoint {
  std::uint64_t position = 0;        // the first position not in the topic; 0: from the start
  std::uint64_t highest = 0;         // the highest last position of this replay (when position > 0)
  std::vector<std::uint64_t> ahead;  // positions after `position` in the topic already, ascending
  std::optional<std::string> other;  // the replay the topic ends with, when not this one
};
ResumePoint resume_point(const std::vector<ReplayMark>& last_marks, std::string_view replay_id);
// Adds the positions found at the partitions' ends (any order, any replay's marks): the
// position moves past those that follow it without a gap, the others go to `ahead`.
void add_found(ResumePoint& point, const std::vector<ReplayMark>& found, std::string_view replay_id);

struct IngestReport {
  std::uint64_t records = 0;           // good records in the file (per pass)
  std::uint64_t resumed_at = 0;        // the replay position it started at (0: the start; see ingest.resume)
  std::uint64_t already_in_topic = 0;  // calls after resumed_at the topic held already: not sent again
  std::uint64_t sent = 0;              // handed to the producer
  std::uint64_t acked = 0;             // acknowledged by the brokers
  std::uint64_t failed = 0;            // delivery failed (each logged with its reason)
  std::uint64_t skipped = 0;           // bad records left out
  // Left unsent because of a stop request: the rest of the pass it stopped in. So
  // resumed_at + already_in_topic + sent + not_sent is every call up to the end of that
  // pass (`records` without ingest.loop).
  std::uint64_t not_sent = 0;
  double seconds = 0;    // from the first send to the last delivery report
  bool stopped = false;  // a stop was requested before the end

  [[nodiscard]] double rate() const { return seconds > 0 ? static_cast<double>(acked) / seconds : 0; }
  // The "ingest" part of the --drain summary line: {"sent":...,"rate":...}
  [[nodiscard]] std::string to_json() const;
};

class Ingest {
 public:
  // Reports its progress (acknowledgements) and its work (calls in flight) to `health`.
  Ingest(const Config& config, Metrics& metrics, Health& health);

  // Reads the file and replays it (again and again with ingest.loop) until the end or
  // until `stop` is requested; then waits for the delivery reports of what was sent (at
  // most the producer's message.timeout.ms) and returns the account. Runs in the
  // calling thread. What a failover makes transient is retried for
  // kafka.unavailable_timeout, then kafka::Unavailable thrown; kafka::Interrupted when a
  // stop comes meanwhile. Throws CallFileError when the file cannot be read,
  // std::runtime_error when Kafka cannot be used at all.
  IngestReport run(const std::stop_token& stop);

 private:
  const Config& config_;
  Metrics& metrics_;
  Health::Part& health_;
};

}  // namespace sfcrimed
