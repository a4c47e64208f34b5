#pragma once
// Turns sfcrimed's librdkafka settings (from the ini file and the command line) into a
// librdkafka configuration, with errors that name the setting at fault. The settings and
// the statistics as plain data are in kafka_properties.hpp (no librdkafka there).

#include <librdkafka/rdkafkacpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sfcrimed/kafka_properties.hpp"

namespace sfcrimed::kafka {

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

// Where every client's statistics go from now on, on the thread that polls the client
// (a pipeline thread in consume(), the ingest in its produce loop); an empty function
// stops it. Clients report only when statistics.interval.ms is set.
void on_broker_states(std::function<void(const BrokerStates&)> sink);

}  // namespace sfcrimed::kafka
