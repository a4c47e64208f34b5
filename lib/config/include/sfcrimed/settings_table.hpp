#pragma once
// Every setting of sfcrimed, declared once. sfcrimed's own settings are one table entry
// each (name, help, where in Config, check), and the [producer]/[consumer] sections list
// the librdkafka properties sfcrimed gives defaults to. Everything else derives from
// them: the ini file's and the command line's declarations with their defaults (taken
// from a default-constructed Config) and help, the checks and their error messages, the
// effective configuration as ini text (to_ini), and the test holding etc/sfcrimed.ini to
// the same names and defaults. All of it is immutable data: safe from any thread.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sfcrimed/config.hpp"

namespace sfcrimed::settings {

// What is wrong with a setting's value ("must be from 1 to 64"), or "" when nothing is.
// Checks run once every setting has its value, so one may look at others (a speedup is
// wrong with a rate given too).
template <typename T>
using Check = std::string (*)(const T& value, const Config& config);

// Where a setting's value of type T lives in Config, and its check (nullptr: any value of
// T is good). The type says how the value is written: text (strings, paths, addresses),
// a whole number, a number, a flag (true/false), a duration ("250ms", "1h"; whole
// seconds when T is std::chrono::seconds).
template <typename T>
struct Field {
  T& (*of)(Config& config) = nullptr;
  const T& (*of_const)(const Config& config) = nullptr;
  Check<T> check = nullptr;
};

// A setting that is one of a few names, each standing for a value of E.
template <typename E>
struct Choice {
  Field<E> field;
  std::span<const std::pair<std::string_view, E>> names;  // as written, in the order --help lists them
  std::string_view noun;                                  // any other text "is not <noun>"
};

using Value = std::variant<Field<std::string>, Field<int>, Field<double>, Field<bool>, Field<std::chrono::milliseconds>,
                           Field<std::chrono::seconds>, Choice<ReplayOrder>, Choice<OnBadRecord>, Choice<log::Level>>;

struct Setting {
  std::string_view name;  // "ingest.rate": `[ingest] rate = 500` in the file, `--ingest.rate 500` on the command line
  std::string_view help;  // its line in --help
  Value value;

  [[nodiscard]] std::string_view section() const { return name.substr(0, name.find('.')); }
  [[nodiscard]] std::string_view key() const { return name.substr(name.find('.') + 1); }
};

// sfcrimed's own settings, in the order of --help, --print-config and etc/sfcrimed.ini.
std::span<const Setting> table();

// A section of librdkafka properties: [client] for every Kafka client sfcrimed makes (the
// connection's security), [producer] for the ingest's and the pipeline's producers,
// [consumer] for the pipeline's consumers. Any property passes through; a few are
// sfcrimed's to set.
struct KafkaSection {
  std::string_view name;
  kafka::Settings Config::*properties;  // where they go: Config::client, ::producer or ::consumer
  kafka::Settings fixed;                // what "losing nothing" and "counting once" rest on
  std::string_view fixed_why;           // said when a configuration tries to change one
  kafka::Settings documented;           // in etc/sfcrimed.ini, with sfcrimed's defaults (chosen by
                                        // measurement: see the README's benchmarks)
};
const KafkaSection& client_section();
const KafkaSection& producer_section();
const KafkaSection& consumer_section();
// All three, in the ini file's order.
std::span<const KafkaSection* const> kafka_sections();
// The librdkafka section called `name` ("producer"), or nullptr.
const KafkaSection* kafka_section(std::string_view name);

// The ini file's sections in order: those of table() with the librdkafka ones among them.
std::span<const std::string_view> sections();

// The setting's value in `config` as the ini file writes it ("1h", "true", "time").
std::string text(const Setting& setting, const Config& config);
// What is wrong with the setting's value in `config`, or "" (see Check).
std::string check(const Setting& setting, const Config& config);

}  // namespace sfcrimed::settings
