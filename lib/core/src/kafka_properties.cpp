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

namespace {

namespace od = simdjson::ondemand;

// What one entry of "brokers" says about its broker.
struct BrokerEntry {
  std::int64_t node = -1;  // -1: no node id
  std::string_view state;  // valid while the document is
};

// Reads one entry of "brokers"; false when it is not what librdkafka writes.
bool read_broker(od::object& entry, BrokerEntry& broker) {
  for (auto property : entry) {
    std::string_view name;
    if (property.unescaped_key().get(name) != simdjson::SUCCESS) {
      return false;
    }
    if (name == "nodeid" && property.value().get_int64().get(broker.node) != simdjson::SUCCESS) {
      return false;
    }
    if (name == "state" && property.value().get_string().get(broker.state) != simdjson::SUCCESS) {
      return false;
    }
  }
  return true;
}

// Reads "brokers" into the node ids listed (`known`) and those of them UP (`up`); false
// when it is not what librdkafka writes.
bool read_brokers(od::object& brokers, std::set<std::int64_t>& known, std::set<std::int64_t>& up) {
  for (auto broker : brokers) {
    od::object entry;
    if (broker.value().get_object().get(entry) != simdjson::SUCCESS) {
      return false;
    }
    BrokerEntry found;
    if (!read_broker(entry, found)) {
      return false;
    }
    // A coordinator is listed twice: as its broker and as a logical entry with the
    // same node id.
    if (found.node >= 0) {
      known.insert(found.node);
      if (found.state == "UP") {
        up.insert(found.node);
      }
    }
  }
  return true;
}

}  // namespace

std::optional<BrokerStates> broker_states(std::string_view statistics_json) {
  od::parser parser;
  const simdjson::padded_string padded(statistics_json);
  od::document document;
  od::object root;
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
      od::object brokers;
      if (field.value().get_object().get(brokers) != simdjson::SUCCESS || !read_brokers(brokers, known, up)) {
        return std::nullopt;
      }
      has_brokers = true;
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
