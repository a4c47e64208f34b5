#include "sfcrimed/consumer.hpp"

#include <stdexcept>

namespace sfcrimed::kafka {

Consumer::Consumer(const Settings& settings) {
  if (setting_or(settings, "group.id", "").empty()) {
    throw SettingError("group.id", "", "a consumer needs a consumer group id");
  }
  auto conf = make_conf(settings);
  std::string error;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) {
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  }
}

Consumer::~Consumer() { close(); }

void Consumer::subscribe(const std::vector<std::string>& topics) {
  const RdKafka::ErrorCode err = consumer_->subscribe(topics);
  if (err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot subscribe: " + RdKafka::err2str(err));
  }
}

std::unique_ptr<RdKafka::Message> Consumer::poll(std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(timeout.count())));
  switch (message->err()) {
    case RdKafka::ERR__TIMED_OUT:
      return nullptr;
    case RdKafka::ERR__FATAL:
      throw std::runtime_error("fatal Kafka consumer error: " + message->errstr());
    default:
      return message;
  }
}

void Consumer::commit() {
  const RdKafka::ErrorCode err = consumer_->commitSync();
  // Nothing consumed since the last commit is not an error.
  if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
    throw std::runtime_error("cannot commit offsets: " + RdKafka::err2str(err));
  }
}

void Consumer::close() {
  if (!closed_) {
    closed_ = true;
    consumer_->close();
  }
}

}  // namespace sfcrimed::kafka
