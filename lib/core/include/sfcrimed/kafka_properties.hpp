#pragma once
// librdkafka's properties and statistics as plain data, with no librdkafka in here: the
// configuration holds them and the metrics read them, below the Kafka component that
// hands them to librdkafka (kafka_settings.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sfcrimed::kafka {

// librdkafka property names and values, applied in order (a later one wins).
using Settings = std::vector<std::pair<std::string, std::string>>;

// The value of `name` in `settings` (the last one wins), or `fallback`.
std::string setting_or(const Settings& settings, const std::string& name, const std::string& fallback);

// What one client's librdkafka statistics (statistics.interval.ms) say of its brokers.
struct BrokerStates {
  std::string client_id;
  int up = 0;     // brokers the client has a working connection to (state UP)
  int known = 0;  // brokers it learned from the cluster's metadata
};

// Reads a librdkafka statistics document; nothing when it is not one. Bootstrap and
// internal entries (node id -1) are not brokers of the cluster and are not counted; a
// broker counts once however many roles (coordinator) it has.
std::optional<BrokerStates> broker_states(std::string_view statistics_json);

}  // namespace sfcrimed::kafka
