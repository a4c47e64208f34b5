#include "sfcrimed/ingest/turn.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed {
namespace {

constexpr std::chrono::seconds kTopicTimeout{15};
constexpr std::chrono::milliseconds kPollTimeout{200};
constexpr long kHeartbeatMs = 3000;  // librdkafka's default, or a third of a shorter session

// The session is the pipeline's ([consumer] session.timeout.ms): a crashed instance's
// turn moves when its partitions do, and a holder cut off from Kafka that long loses it.
std::unique_ptr<RdKafka::KafkaConsumer> turn_consumer(const Config& config) {
  const std::string session = kafka::setting_or(config.consumer, "session.timeout.ms", "45000");
  const long heartbeat = std::min(kHeartbeatMs, std::max(1L, std::stol(session) / 3));
  const std::string name = IngestTurn::group(config) + "." + pipeline_instance(config);
  kafka::Settings settings = client_settings(config, name);
  settings.insert(settings.end(), {{"group.id", IngestTurn::group(config)},
                                   // Static, as the pipeline's threads: a restarted instance
                                   // takes its turn back at once; others wait out its session.
                                   {"group.instance.id", name},
                                   {"enable.auto.commit", "false"},
                                   // Sticky: a member joining leaves the turn where it is.
                                   {"partition.assignment.strategy", "cooperative-sticky"},
                                   {"session.timeout.ms", session},
                                   {"heartbeat.interval.ms", std::to_string(heartbeat)}});
  const auto conf = kafka::make_conf(settings);
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) {
    throw std::runtime_error("cannot create the ingest's turn consumer: " + error);
  }
  return consumer;
}

}  // namespace

IngestTurn::IngestTurn(const Config& config)
    : topic_(topic(config)), group_(group(config)), consumer_(turn_consumer(config)) {
  kafka::ensure_topic(*consumer_, topic_, 1, kTopicTimeout);
  if (const RdKafka::ErrorCode err = consumer_->subscribe({topic_}); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot join the ingest's group " + group_ + ": " + RdKafka::err2str(err));
  }
  server_ = std::jthread([this](const std::stop_token& stop) { serve(stop); });
}

IngestTurn::~IngestTurn() {
  server_.request_stop();
  server_.join();
  consumer_->close();
}

// Polls the group (its rebalances come with polls, and a member that stops polling is
// dropped after max.poll.interval.ms); the topic itself holds nothing to read.
void IngestTurn::serve(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    const std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(kPollTimeout.count())));
    std::vector<RdKafka::TopicPartition*> assignment;
    consumer_->assignment(assignment);
    const bool held = !assignment.empty();
    RdKafka::TopicPartition::destroy(assignment);
    const std::lock_guard lock(mutex_);
    if (held_ && !held) {
      log::error("ingest", "lost the ingest's turn (group " + group_ +
                               "): Kafka ended this instance's session; the replay stops, and the instance that "
                               "takes the turn resumes after what the topic holds");
      lost_.request_stop();
    }
    held_ = held;
    changed_.notify_all();
  }
}

bool IngestTurn::wait(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, stop, std::chrono::seconds(5), [this] { return held_; }) && !stop.stop_requested()) {
    log::notice("ingest", "another instance replays into this topic now (it holds the turn of group " + group_ +
                              "): this one waits, and takes over when that one stops");
  }
  return changed_.wait(lock, stop, [this] { return held_; });
}

}  // namespace sfcrimed
