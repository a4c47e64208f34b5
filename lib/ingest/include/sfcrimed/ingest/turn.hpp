#pragma once
// The ingest's turn: at most one ingest replays into a calls topic at a time, whichever
// instances have ingest.enabled. The turn is the one partition of `<topic>.ingest-turn`,
// which Kafka's group `<topic>.ingest` gives to one member; its sticky assignor keeps it
// with that member while others join. Each instance is a static member, as its pipeline
// threads are: restarted, it takes its turn back at once; stopped or crashed, its turn
// goes to one of those waiting when its session ends ([consumer] session.timeout.ms, as
// its partitions do). The new holder then resumes after what the topic already holds
// (ingest.resume).
// Thread-safe: a thread of its own serves the group; wait() and lost() from any thread.

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"

namespace sfcrimed {

class IngestTurn {
 public:
  // Finds or creates the turn's topic and joins the group; throws kafka::TransientError
  // or std::runtime_error when Kafka cannot be used.
  explicit IngestTurn(const Config& config);
  // Leaves the group: the turn goes to an instance waiting for it, at once.
  ~IngestTurn();
  IngestTurn(const IngestTurn&) = delete;
  IngestTurn& operator=(const IngestTurn&) = delete;

  // Until this instance holds the turn (true) or `stop` (false); says once that it waits.
  bool wait(const std::stop_token& stop);
  // Requested when the turn, once held, is lost: this instance's session with the group
  // ended (it could not reach Kafka for session.timeout.ms) and another may replay now.
  [[nodiscard]] std::stop_token lost() const { return lost_.get_token(); }

  // The names, for logs and tests.
  static std::string topic(const Config& config) { return config.kafka.topic + ".ingest-turn"; }
  static std::string group(const Config& config) { return config.kafka.topic + ".ingest"; }

 private:
  void serve(const std::stop_token& stop);

  const std::string topic_;
  const std::string group_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  bool held_ = false;  // guarded by mutex_
  std::stop_source lost_;
  std::jthread server_;  // last: it uses what is above
};

}  // namespace sfcrimed
