#include "sfcrimed/kafka_settings.hpp"

#include <algorithm>

#include "sfcrimed/log.hpp"

namespace sfcrimed::kafka {

SettingError::SettingError(const std::string& name, const std::string& value, const std::string& reason)
    : std::runtime_error("Kafka setting '" + name + "' = '" + value + "': " + reason), name_(name) {}

namespace {

// librdkafka's own log lines and errors, through sfcrimed's log (its severities are
// syslog's, as ours are), instead of librdkafka's default stderr format.
class LogForwarder : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG:
        log::write(static_cast<log::Level>(std::clamp(static_cast<int>(event.severity()), 3, 7)), "kafka",
                   event.fac() + ": " + event.str());
        break;
      case RdKafka::Event::EVENT_ERROR:
        // Most errors are transient (a broker restarting) and librdkafka retries them.
        log::write(event.fatal() ? log::Level::error : log::Level::warning, "kafka",
                   RdKafka::err2str(event.err()) + (event.str().empty() ? "" : ": " + event.str()));
        break;
      default:
        break;
    }
  }
};

LogForwarder log_forwarder;

}  // namespace

std::unique_ptr<RdKafka::Conf> make_conf(const Settings& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(&log_forwarder), error);
  for (const auto& [name, value] : settings) {
    std::string reason;
    if (conf->set(name, value, reason) != RdKafka::Conf::CONF_OK) {
      throw SettingError(name, value, reason);
    }
  }
  return conf;
}

std::string setting_or(const Settings& settings, const std::string& name, const std::string& fallback) {
  const auto found =
      std::find_if(settings.rbegin(), settings.rend(), [&](const auto& setting) { return setting.first == name; });
  return found == settings.rend() ? fallback : found->second;
}

}  // namespace sfcrimed::kafka
