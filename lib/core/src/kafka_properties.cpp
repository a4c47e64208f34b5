#include "sfcrimed/kafka_properties.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace sfcrimed::kafka {

std::string setting_or(const Settings& settings, const std::string& name, const std::string& fallback) {
  const auto found =
      std::find_if(settings.rbegin(), settings.rend(), [&](const auto& setting) { return setting.first == name; });
  return found == settings.rend() ? fallback : found->second;
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

}  // namespace sfcrimed::kafka
