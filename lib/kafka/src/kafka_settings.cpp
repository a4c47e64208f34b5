#include "sfcrimed/kafka_settings.hpp"

#include <mutex>

#include "sfcrimed/connection_refusal.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::kafka {

SettingError::SettingError(const std::string& name, const std::string& value, const std::string& reason)
    : std::runtime_error("Kafka setting '" + name + "' = '" + value + "': " + reason), name_(name) {}

namespace {

std::mutex sink_mutex;
std::function<void(const BrokerStates&)> broker_states_sink;

// librdkafka's own log lines and errors, through sfcrimed's log (its severities are
// syslog's, as ours are), instead of librdkafka's default stderr format.
class LogForwarder : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG:
        // A broker connection that failed is logged (facility FAIL), often with no error
        // event: a plaintext client at a TLS listener is one.
        if (event.fac() == "FAIL") {
          ConnectionRefusals::process().saw_log(event.str());
        }
        log::write(static_cast<log::Level>(std::clamp(static_cast<int>(event.severity()), 3, 7)), "kafka",
                   event.fac() + ": " + event.str());
        break;
      case RdKafka::Event::EVENT_ERROR:
        // Most errors are transient (a broker restarting) and librdkafka retries them;
        // a refused connection is not, and is kept for whoever gives up on it.
        ConnectionRefusals::process().saw(event.err(), event.str());
        log::write(event.fatal() ? log::Level::error : log::Level::warning, "kafka",
                   RdKafka::err2str(event.err()) + (event.str().empty() ? "" : ": " + event.str()));
        break;
      case RdKafka::Event::EVENT_STATS:
        // Called from librdkafka's C code: nothing may unwind through it. A statistics
        // document lost to an exception only leaves the gauge at its last value.
        try {
          const auto states = broker_states(event.str());
          if (states && states->up > 0) {
            ConnectionRefusals::process().connected();
          }
          const std::lock_guard lock(sink_mutex);
          if (states && broker_states_sink) {
            broker_states_sink(*states);
          }
        } catch (const std::exception& e) {
          log::warning("kafka", std::string("statistics not handled: ") + e.what());
        }
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

void on_broker_states(std::function<void(const BrokerStates&)> sink) {
  const std::lock_guard lock(sink_mutex);
  broker_states_sink = std::move(sink);
}

}  // namespace sfcrimed::kafka
