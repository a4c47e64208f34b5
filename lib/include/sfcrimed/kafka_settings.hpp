#pragma once
// Turns sfcrimed's librdkafka settings (from the ini file and the command line) into a
// librdkafka configuration, with errors that name the setting at fault.

#include <librdkafka/rdkafkacpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sfcrimed::kafka {

// librdkafka property names and values, applied in order (a later one wins).
using Settings = std::vector<std::pair<std::string, std::string>>;

// A setting librdkafka refused: its name, its value and librdkafka's reason.
class SettingError : public std::runtime_error {
 public:
  SettingError(const std::string& name, const std::string& value, const std::string& reason);
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

// A global librdkafka configuration holding `settings`; throws SettingError.
std::unique_ptr<RdKafka::Conf> make_conf(const Settings& settings);

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

// Where every client's statistics go from now on, on the thread that polls the client
// (a pipeline thread in consume(), the ingest in its produce loop); an empty function
// stops it. Clients report only when statistics.interval.ms is set.
void on_broker_states(std::function<void(const BrokerStates&)> sink);

}  // namespace sfcrimed::kafka
