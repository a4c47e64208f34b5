#pragma once
// Turns sfcrimed's librdkafka settings (from the ini file and the command line) into a
// librdkafka configuration, with errors that name the setting at fault.

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <stdexcept>
#include <string>
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

}  // namespace sfcrimed::kafka
