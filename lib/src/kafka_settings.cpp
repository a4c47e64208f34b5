#include "sfcrimed/kafka_settings.hpp"

#include <simdjson.h>

#include <algorithm>
#include <mutex>
#include <set>

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
        log::write(static_cast<log::Level>(std::clamp(static_cast<int>(event.severity()), 3, 7)), "kafka",
                   event.fac() + ": " + event.str());
        break;
      case RdKafka::Event::EVENT_ERROR:
        // Most errors are transient (a broker restarting) and librdkafka retries them.
        log::write(event.fatal() ? log::Level::error : log::Level::warning, "kafka",
                   RdKafka::err2str(event.err()) + (event.str().empty() ? "" : ": " + event.str()));
        break;
      case RdKafka::Event::EVENT_STATS:
        // Called from librdkafka's C code: nothing may unwind through it. A statistics
        // document lost to an exception only leaves the gauge at its last value.
        try {
          const std::lock_guard lock(sink_mutex);
          if (!broker_states_sink) {
            break;  // nobody listens (sfcrimed stats, consume): not even parsed
          }
          if (const auto states = broker_states(event.str())) {
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

std::optional<BrokerStates> broker_states(std::string_view statistics_json) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(statistics_json);
  simdjson::ondemand::document document;
  simdjson::ondemand::object root;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document.get_object().get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  BrokerStates states;
  bool has_brokers = false;
  std::set<std::int64_t> known;
  std::set<std::int64_t> up;
  // Fields in document order (librdkafka writes client_id before brokers).
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    if (key == "client_id") {
      std::string_view id;
      if (field.value().get_string().get(id) != simdjson::SUCCESS) {
        return std::nullopt;
      }
      states.client_id = id;
    } else if (key == "brokers") {
      simdjson::ondemand::object brokers;
      if (field.value().get_object().get(brokers) != simdjson::SUCCESS) {
        return std::nullopt;
      }
      has_brokers = true;
      for (auto broker : brokers) {
        simdjson::ondemand::object entry;
        if (broker.value().get_object().get(entry) != simdjson::SUCCESS) {
          return std::nullopt;
        }
        std::int64_t node = -1;
        std::string_view state;
        for (auto property : entry) {
          std::string_view name;
          if (property.unescaped_key().get(name) != simdjson::SUCCESS) {
            return std::nullopt;
          }
          if (name == "nodeid" && property.value().get_int64().get(node) != simdjson::SUCCESS) {
            return std::nullopt;
          }
          if (name == "state" && property.value().get_string().get(state) != simdjson::SUCCESS) {
            return std::nullopt;
          }
        }
        // A coordinator is listed twice: as its broker and as a logical entry with the
        // same node id.
        if (node >= 0) {
          known.insert(node);
          if (state == "UP") {
            up.insert(node);
          }
        }
      }
    }
  }
  if (!has_brokers) {
    return std::nullopt;
  }
  states.known = static_cast<int>(known.size());
  states.up = static_cast<int>(up.size());
  return states;
}

void on_broker_states(std::function<void(const BrokerStates&)> sink) {
  const std::lock_guard lock(sink_mutex);
  broker_states_sink = std::move(sink);
}

std::string setting_or(const Settings& settings, const std::string& name, const std::string& fallback) {
  const auto found =
      std::find_if(settings.rbegin(), settings.rend(), [&](const auto& setting) { return setting.first == name; });
  return found == settings.rend() ? fallback : found->second;
}

}  // namespace sfcrimed::kafka
