#include "sfcrimed/kafka_settings.hpp"

#include <algorithm>

namespace sfcrimed::kafka {

SettingError::SettingError(const std::string& name, const std::string& value, const std::string& reason)
    : std::runtime_error("Kafka setting '" + name + "' = '" + value + "': " + reason), name_(name) {}

std::unique_ptr<RdKafka::Conf> make_conf(const Settings& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
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
